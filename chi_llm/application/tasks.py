"""Task helpers — summarize, translate, analyze — that fit any input to the context: the text is
measured with the backend's tokenizer, and when it does not fit it is split into pieces that do
(map), whose results are combined (reduce), instead of being cut off silently."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from chi_llm.application.generation import GenerationService, grounded
from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.generation import DEFAULT_CONTEXT, GenerationOptions, answer_room
from chi_llm.domain.messages import Message

STYLES = {
    "concise": "a concise summary in at most {sentences} sentences",
    "bullets": "a summary as short bullet points",
    "detailed": "a detailed summary that keeps every important point",
    "tldr": "a one-sentence TL;DR",
}
DEFAULT_SENTENCES = 3  # the concise summary's length, as chi_llm 2.x's max_sentences
NOTHING = "NOT IN THIS PART"
PROMPT_ROOM = 200  # tokens the instructions and the chat template take around a piece of text
BREAKS = (re.compile(r"\n\s*\n"), re.compile(r"\n"), re.compile(r"(?<=[.!?])\s+"), re.compile(r"\s+"))


@dataclass(frozen=True, slots=True)
class TaskResult:
    """The answer and how it was made: `pieces` > 1 when the input was split to fit."""

    text: str
    pieces: int = 1


class TaskService:
    def __init__(self, generation: GenerationService) -> None:
        self.generation = generation

    # -- budget --------------------------------------------------------------------------------
    def budget(self, options: GenerationOptions | None) -> int:
        """Tokens of input one call can take: the context less the answer's room and the prompt's."""
        context = self.generation.generator.context_window() or DEFAULT_CONTEXT
        room = answer_room(context, (options or GenerationOptions()).max_tokens or self.generation.defaults.max_tokens)
        return max(context - room - PROMPT_ROOM, 64)

    def split(self, text: str, budget: int) -> list[str]:
        """Pieces of `text` that each fit `budget` tokens, cut at the largest boundary that works
        (paragraphs, then lines, sentences, words); nothing is dropped."""
        count = self.generation.generator.count_tokens
        if count(text) <= budget:
            return [text]
        for pattern in BREAKS:
            parts = [p for p in pattern.split(text) if p.strip()]
            if len(parts) > 1:
                return self._pack(parts, budget, count, pattern)
        half = len(text) // 2  # one unbroken run longer than the budget: halve it
        return self.split(text[:half], budget) + self.split(text[half:], budget)

    def _pack(self, parts: list[str], budget: int, count: Callable[[str], int], pattern: re.Pattern[str]) -> list[str]:
        joiner = "\n\n" if pattern is BREAKS[0] else ("\n" if pattern is BREAKS[1] else " ")
        pieces: list[str] = []
        current = ""
        for part in parts:
            candidate = f"{current}{joiner}{part}" if current else part
            if count(candidate) <= budget:
                current = candidate
                continue
            if current:
                pieces.append(current)
            if count(part) > budget:
                pieces.extend(self.split(part, budget))
                current = ""
            else:
                current = part
        if current:
            pieces.append(current)
        return pieces

    def _ask(self, instruction: str, text: str, options: GenerationOptions | None, *, drawn: bool = True) -> str:
        """The answer to `instruction` about `text`; `drawn`: the answer quotes the text (not a
        translation), so a local model tries prompt-lookup drafts."""
        message = Message(role="user", content=f"{instruction}\n\n{text}")
        chosen = grounded(options) if drawn else options
        return self.generation.generate(self.generation.chat_request([message], chosen)).text.strip()

    def _fit(self, notes: str, budget: int, options: GenerationOptions | None) -> str:
        """Notes that fit one call: shortened part by part, as often as it takes."""
        for _ in range(8):
            parts = self.split(notes, budget)
            if len(parts) == 1:
                return notes
            notes = "\n\n".join(self._ask("Shorten these notes, keeping every key point.", p, options) for p in parts)
        raise InvalidRequest("the text is too long to reduce to one context; use a model with a larger context")

    # -- tasks ---------------------------------------------------------------------------------
    def summarize(
        self,
        text: str,
        style: str = "concise",
        options: GenerationOptions | None = None,
        *,
        sentences: int | None = None,
    ) -> TaskResult:
        """`sentences` (default 3) bounds the concise style's length."""
        if style not in STYLES:
            raise InvalidRequest(f"style must be one of {', '.join(STYLES)}, got {style!r}")
        if sentences is not None and (isinstance(sentences, bool) or not isinstance(sentences, int) or sentences < 1):
            raise InvalidRequest(f"max_sentences must be a whole number of at least 1, got {sentences!r}")
        if sentences is not None and style != "concise":
            raise InvalidRequest(f"max_sentences bounds the concise style; the {style} style does not take it")
        _nonempty(text)
        kind = STYLES[style].format(sentences=sentences or DEFAULT_SENTENCES)
        want = f"Write {kind} of the following text. Reply with the summary only."
        budget = self.budget(options)
        pieces = self.split(text, budget)
        if len(pieces) == 1:
            return TaskResult(self._ask(want, text, options))
        notes = [self._ask("Summarize this part of a longer text, keeping its key points.", p, options) for p in pieces]
        combined = self._fit("\n\n".join(notes), budget, options)
        return TaskResult(
            self._ask(f"{want} The text is given as notes on its parts, in order.", combined, options), len(pieces)
        )

    def translate(self, text: str, to: str, options: GenerationOptions | None = None) -> TaskResult:
        if not to or not to.strip():
            raise InvalidRequest("say which language to translate to (to='French')")
        _nonempty(text)
        want = f"Translate the following text into {to.strip()}. Reply with the translation only."
        pieces = self.split(text, self.budget(options) // 2)  # the translation takes as much room again
        return TaskResult("\n\n".join(self._ask(want, p, options, drawn=False) for p in pieces), len(pieces))

    def fits(self, text: str, options: GenerationOptions | None = None) -> bool:
        return self.generation.generator.count_tokens(text) <= self.budget(options)

    def ask(self, question: str, context: str, options: GenerationOptions | None = None) -> TaskResult:
        """Answer `question` from a context too long for one call: each part is asked on its own
        (saying so when it holds nothing relevant), then the partial answers are combined."""
        _nonempty(question)
        _nonempty(context)
        budget = self.budget(options)
        pieces = self.split(context, budget)
        partial = []
        ask_part = (
            "Answer the question from this part of a longer text only. "
            f"If it does not say, reply exactly {NOTHING}.\n\nQuestion: {question}\n\nText:"
        )
        for piece in pieces:
            found = self._ask(ask_part, piece, options)
            if NOTHING not in found:
                partial.append(found)
        if not partial:
            nothing = self._ask("Say briefly that the text does not answer this question:", question, options)
            return TaskResult(nothing, len(pieces))
        notes = self._fit("\n\n".join(partial), budget, options)
        final = f"Combine these partial answers, each from a part of one text, into one answer to: {question}"
        return TaskResult(self._ask(final, notes, options), len(pieces))

    def analyze(self, code: str, question: str | None = None, options: GenerationOptions | None = None) -> TaskResult:
        _nonempty(code)
        focus = question or "What does it do, how, and are there bugs, risks or improvements?"
        want = f"Analyze this code. {focus}"
        pieces = self.split(code, self.budget(options))
        if len(pieces) == 1:
            return TaskResult(self._ask(want, code, options))
        notes = [
            self._ask(f"This is part {i} of {len(pieces)} of a larger file. Note what matters for: {focus}", p, options)
            for i, p in enumerate(pieces, 1)
        ]
        joined = self._fit("\n\n".join(f"Part {i}: {n}" for i, n in enumerate(notes, 1)), self.budget(options), options)
        final = f"Answer about the whole file from these notes on its parts. {focus}"
        return TaskResult(self._ask(final, joined, options), len(pieces))


def _nonempty(text: str) -> None:
    if not text or not text.strip():
        raise InvalidRequest("the text is empty")
