"""chi_llm 2.x's text helpers (`chi_llm.utils`), kept as they were: plain string functions that
call no model. Nothing in chi_llm itself uses them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

_ARTEFACTS = re.compile(
    r"<start_of_turn>(?:user|model)?|<end_of_turn>|<\|im_start\|>(?:assistant|user|system)?|<\|im_end\|>|</s>|\[END\]|\[DONE\]"
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_CODE_HINTS = re.compile(
    r"^\s*(def |class |import |from \S+ import |function |const |let |var |public |private |#include|package |fn |"
    r"return\b|if\s*\(|for\s*\(|while\s*\()"
)
_ERROR_STARTS = ("error:", "failed to", "could not", "unable to")


def truncate_text(text: str, max_length: int = 20000, suffix: str = "\n... (truncated)") -> str:
    """`text` cut so that, with `suffix` added, it is at most `max_length` characters."""
    if len(text) <= max_length:
        return text
    return text[: max(max_length - len(suffix), 0)] + suffix


def format_chat_history(history: Iterable[Mapping[str, str]]) -> str:
    """A transcript in Gemma's turn markers; `system` entries become "System: ..." lines. Entries
    are `{"user", "assistant"}` pairs (2.x) or `{"role", "content"}` messages."""
    lines: list[str] = []
    for entry in history:
        pairs = [(entry["role"], entry.get("content", ""))] if "role" in entry else list(entry.items())
        for role, content in pairs:
            if role == "system":
                lines.append(f"System: {content}")
            elif role == "user":
                lines.append(f"<start_of_turn>user\n{content}<end_of_turn>")
            elif role == "assistant":
                lines.append(f"<start_of_turn>model\n{content}<end_of_turn>")
    return "\n".join(lines)


def count_tokens_approx(text: str) -> int:
    """About four characters a token."""
    return len(text) // 4


def validate_response(response: str, min_length: int = 1) -> bool:
    """False for an empty answer, a shorter one than `min_length`, or one that starts like an error."""
    text = (response or "").strip()
    return len(text) >= min_length and not text.lower().startswith(_ERROR_STARTS)


def clean_response(response: str) -> str:
    """Chat-template artefacts (Gemma, ChatML, `</s>`, `[END]`, `[DONE]`) removed, runs of three or
    more newlines collapsed to two."""
    text = _ARTEFACTS.sub("", response)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def split_into_chunks(text: str, chunk_size: int = 15000, overlap: int = 500) -> list[str]:
    """Pieces of at most `chunk_size` characters, each ending at a sentence end where one is in
    its second half, each starting `overlap` characters before the previous one ended."""
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    overlap = max(0, min(overlap, chunk_size // 2))
    chunks: list[str] = []
    start = 0
    while start < len(text):
        end = min(start + chunk_size, len(text))
        if end < len(text):
            ends = [m.start() for m in _SENTENCE_END.finditer(text, start + chunk_size // 2, end)]
            end = ends[-1] if ends else end
        chunks.append(text[start:end].strip())
        if end >= len(text):
            break
        start = max(end - overlap, start + 1)
    return [c for c in chunks if c]


def merge_responses(responses: Iterable[str], task: str = "default") -> str:
    """Answers to the pieces of one text, joined as the task reads best."""
    parts = [r.strip() for r in responses if r and r.strip()]
    if task == "summarize":
        return " ".join(parts)
    if task == "extract":
        return "\n".join(parts)
    return "\n\n---\n\n".join(parts)


def estimate_processing_time(text_length: int) -> float:
    """Seconds, roughly: one per 500 characters, at least one."""
    return max(1.0, text_length / 500)


def is_code(text: str) -> bool:
    """Whether the first 20 lines look like source code (keywords, indentation, braces)."""
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if not lines:
        return False
    hints = sum(1 for line in lines if _CODE_HINTS.match(line))
    indented = sum(1 for line in lines if line.startswith(("    ", "\t")))
    braces = sum(line.count("{") + line.count("}") + line.count(";") for line in lines)
    return hints >= 1 and (hints + indented + braces) >= max(2, len(lines) // 3)
