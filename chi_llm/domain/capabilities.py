"""What a TextGenerator may offer beyond generating, with defaults for backends that cannot:
schema enforcement, tool calling, its tokenizer (and a prompt's length in it), its context, label log-probabilities."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from chi_llm.domain.generation import GenerationRequest
from chi_llm.domain.structured import OutputSchema


class GeneratorExtras(Protocol):
    def enforces(self, schema: OutputSchema) -> bool:
        """Whether this backend's decoding is bound to `schema` (a grammar, a strict schema
        mode), not just asked for JSON. The default: only asked; the caller validates."""
        return False

    def calls_tools(self) -> bool:
        """Whether this backend (with its model) takes tools and answers with tool calls
        (`GenerationOptions.tools`, tool messages in the history). The default: it cannot, and a
        request that needs tools is refused before anything is sent."""
        return False

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes in this backend's tokenizer. The default, for backends whose
        tokenizer is out of reach, estimates generously (a token per 3 characters)."""
        return max(1, -(-len(text) // 3))

    def prompt_tokens(self, request: GenerationRequest) -> int | None:
        """Tokens the prompt of `request` takes as this backend would send it (its chat template,
        the tools it offers): the prompt tokens its answer would report. None where the backend
        cannot tell (its tokenizer or template is out of reach); the caller then estimates."""
        return None

    def context_window(self) -> int | None:
        """The context this backend works with, in tokens, when it knows (None: unknown)."""
        return None

    def label_probabilities(
        self, request: GenerationRequest, prefix: str, labels: Sequence[str], suffix: str
    ) -> dict[str, float] | None:
        """How likely each label is to follow the request's prompt and `prefix`, from the model's
        log-probabilities, normalised over `labels`; None where the backend does not expose them."""
        return None
