"""Citations in a grounded answer: `[1]`, `[2][3]`, `[1, 2]` after a statement. A number outside
the sources given (`[5]` when four were sent, `[0]`) cites nothing that exists: it is removed
from the answer (with the spaces before it when nothing of its run is left) and counted.

Code is left alone: nothing inside backticks (`items[5]`, a fenced block) is read as a citation.
Streams are cleaned as they come (`CitationFilter`): text that may be the start of a citation
(or of a backtick run) is held back until it is known, so a removed citation is never shown."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")
_GROUP = r"\[\d{1,3}(?:[ \t]*,[ \t]*\d{1,3})*\]"
_RUN = re.compile(rf"([ \t]*)((?:{_GROUP})+)")
_NUMBERS = re.compile(_GROUP)
_TICKS = re.compile(r"`+")
# What may still become (or extend) a citation run, or a longer backtick run, at the end of the text so far.
_TAIL = re.compile(r"(?:`+|[ \t]*(?:\[[\d \t,]*\])*(?:\[[\d \t,]{0,24})?)$")


def _numbers(run: str) -> list[list[int]]:
    return [[int(n) for n in group[1:-1].split(",")] for group in _NUMBERS.findall(run)]


class CitationFilter:
    """Cleans an answer delta by delta (`feed`, then `flush` at the end); `removed` lists the
    numbers it took out, `cited` the valid ones met, in order of first mention."""

    def __init__(self, sources: int = 0) -> None:
        self.sources = sources
        self.removed: list[int] = []
        self.found: dict[int, None] = {}
        self._held = ""
        self._fence: str | None = None  # the backtick run that opened the code we are in

    @property
    def cited(self) -> tuple[int, ...]:
        return tuple(self.found)

    def feed(self, delta: str) -> str:
        text = self._held + delta
        tail = _TAIL.search(text)
        cut = tail.start() if tail is not None else len(text)
        self._held = text[cut:]
        return self._give(text[:cut])

    def flush(self) -> str:
        text, self._held = self._held, ""
        return self._give(text)

    def _give(self, text: str) -> str:
        out: list[str] = []
        at = 0
        for ticks in _TICKS.finditer(text):
            out.append(self._prose(text[at : ticks.start()]))
            out.append(ticks.group())
            if self._fence is None:
                self._fence = ticks.group()
            elif ticks.group() == self._fence:
                self._fence = None
            at = ticks.end()
        out.append(self._prose(text[at:]))
        return "".join(out)

    def _prose(self, text: str) -> str:
        """`text` cleaned, unless it is code."""
        if self._fence is not None or not text:
            return text
        out: list[str] = []
        at = 0
        for run in _RUN.finditer(text):
            kept = []
            for group in _numbers(run.group(2)):
                good = [n for n in group if 1 <= n <= self.sources]
                self.removed += [n for n in group if not 1 <= n <= self.sources]
                self.found.update(dict.fromkeys(good))
                if good:
                    kept.append("[" + ", ".join(map(str, good)) + "]")
            out += [text[at : run.start()], run.group(1) + "".join(kept) if kept else ""]
            at = run.end()
        out.append(text[at:])
        return "".join(out)


def without_foreign_citations(answer: str, sources: int) -> tuple[str, tuple[int, ...], tuple[int, ...]]:
    """(the answer without citations of sources that were not given, the numbers it cites, the
    numbers removed)."""
    check = CitationFilter(sources)
    text = check.feed(answer) + check.flush()
    return text, check.cited, tuple(check.removed)


def cited(answer: str, sources: int) -> tuple[int, ...]:
    """The source numbers an answer cites, in order of first mention, valid ones only."""
    return without_foreign_citations(answer, sources)[1]


class AnswerStream(Generic[T]):
    """A streamed answer's events; once it is read to the end, `removed_citations` holds the
    numbers taken out of its text because no such source was given."""

    def __init__(self, events: Iterator[T], check: CitationFilter) -> None:
        self._events = events
        self._check = check

    def __iter__(self) -> AnswerStream[T]:
        return self

    def __next__(self) -> T:
        return next(self._events)

    def close(self) -> None:
        """Stop early: closing the events stops the generation behind them."""
        close = getattr(self._events, "close", None)
        if close is not None:
            close()

    @property
    def removed_citations(self) -> tuple[int, ...]:
        return tuple(self._check.removed)


class AsyncAnswerStream(Generic[T]):
    """`AnswerStream` for `async for`."""

    def __init__(self, events: AsyncIterator[T], check: CitationFilter) -> None:
        self._events = events
        self._check = check

    def __aiter__(self) -> AsyncAnswerStream[T]:
        return self

    async def __anext__(self) -> T:
        return await self._events.__anext__()

    async def aclose(self) -> None:
        close = getattr(self._events, "aclose", None)
        if close is not None:
            await close()

    @property
    def removed_citations(self) -> tuple[int, ...]:
        return tuple(self._check.removed)
