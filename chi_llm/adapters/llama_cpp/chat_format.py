"""Turning messages into a prompt with the chat template stored in the GGUF file."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from chi_llm.domain.messages import Message

Formatter = Callable[[Sequence[Message]], tuple[str, list[str], bool]]


def make_formatter(llm: Any, metadata: dict[str, Any]) -> Formatter:
    """A formatter using the model's own template; a family fallback only when it has none.

    Returns (prompt text, extra stop strings, whether the tokenizer should add BOS).
    """
    from llama_cpp import llama_chat_format as formats

    template = metadata.get("tokenizer.chat_template")
    if template:
        eos_id, bos_id = llm.token_eos(), llm.token_bos()
        eos = llm._model.token_get_text(eos_id) if eos_id != -1 else ""
        bos = llm._model.token_get_text(bos_id) if bos_id != -1 else ""
        formatter: Any = formats.Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)
    elif str(metadata.get("general.architecture", "")).startswith("gemma"):
        formatter = formats.format_gemma
    else:
        formatter = formats.format_chatml

    def render(messages: Sequence[Message]) -> tuple[str, list[str], bool]:
        result = formatter(messages=[{"role": m.role, "content": m.content} for m in messages])
        stop = result.stop if isinstance(result.stop, list) else [result.stop] if result.stop else []
        return result.prompt, [s for s in stop if s], not result.added_special

    return render
