"""Chat templates rendered as the llama.cpp adapter renders them, on a stand-in for llama_cpp.Llama."""

from __future__ import annotations

from typing import Any

from chi_llm.adapters.llama_cpp.chat_format import make_formatter


class FakeLlama:
    """What make_formatter reads of a llama_cpp.Llama: its EOS/BOS tokens and their text."""

    def __init__(self) -> None:
        self._model = self

    def token_eos(self) -> int:
        return 2

    def token_bos(self) -> int:
        return 1

    def token_get_text(self, token: int) -> str:
        return {1: "<s>", 2: "</s>"}[token]


def formatter(template: str) -> Any:
    return make_formatter(FakeLlama(), {"tokenizer.chat_template": template}, "crafted.gguf")
