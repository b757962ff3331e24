"""Token-aware chunking with overlap that prefers heading, paragraph and code-block boundaries.

Every chunk is an exact slice of the document (`text[start:end]`); consecutive chunks touch or
overlap, so together they cover the whole document and nothing is lost or invented. Chunks are
made as the document is read (`iter_spans`): what chunking needs to know (where chunks may end,
where tokens start, headings) is worked out a segment at a time (segments.py), so memory stays
a small multiple of one segment however large the document."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from chi_llm.application.rag.segments import SEGMENT, Tokenize, Window, estimate_tokens

__all__ = ["MAX_TOKEN_CHARS", "Span", "Tokenize", "chunk_spans", "estimate_tokens", "iter_spans"]

TokenCounter = Callable[[str], int]
MAX_TOKEN_CHARS = 64  # a window of size * this many characters is searched (bounds the cost)
SpanTokens = Callable[[int, int], int]  # tokens in text[start:end]


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    heading: str | None


def chunk_spans(
    text: str,
    size: int = 300,
    overlap: int = 40,
    count: TokenCounter = estimate_tokens,
    starts: Sequence[int] | None = None,
) -> list[Span]:
    """Every span of `iter_spans`. Tokens are counted by `count` on each candidate slice, or,
    given `starts` (where each token of `text` starts), from those offsets."""
    if starts is None:
        return list(iter_spans(text, size, overlap, count=count))
    given = starts

    def tokenize(a: int, b: int) -> Sequence[int]:
        return given[bisect.bisect_left(given, a) : bisect.bisect_left(given, b)]

    return list(iter_spans(text, size, overlap, tokenize))


def iter_spans(
    text: str,
    size: int = 300,
    overlap: int = 40,
    tokenize: Tokenize | None = None,
    *,
    count: TokenCounter = estimate_tokens,
    segment: int = SEGMENT,
) -> Iterator[Span]:
    """Spans of at most about `size` tokens, each starting `overlap` tokens before the previous
    one ended, ending at the best boundary in the second half of its window. `tokenize(a, b)`
    gives where the tokens of text[a:b] start (offsets in `text`): the text is tokenized a
    segment at a time, once. Without it, `count` counts the tokens of each candidate slice."""
    if size < 2 or not 0 <= overlap < size:
        raise ValueError(f"need size >= 2 and 0 <= overlap < size, got size={size}, overlap={overlap}")
    if not text:
        return
    window = Window(text, tokenize, segment)
    tokens: SpanTokens = window.tokens if tokenize is not None else (lambda a, b: count(text[a:b]))
    start = 0
    while True:
        window.advance(start, min(len(text), start + size * MAX_TOKEN_CHARS) + 1)
        limit = _fit(len(text), start, size, tokens)
        if limit >= len(text):
            yield Span(start, len(text), window.heading_at(start))
            return
        end = _best_end(window.points, window.ranks, start, limit)
        yield Span(start, end, window.heading_at(start))
        start = _next_start(window.points, start, end, overlap, tokens)


def _fit(length: int, start: int, size: int, tokens: SpanTokens) -> int:
    """The largest end such that text[start:end] holds at most `size` tokens (binary search)."""
    low, high = start + 1, min(length, start + size * MAX_TOKEN_CHARS)
    if tokens(start, high) <= size:
        return high
    while low < high:
        middle = (low + high + 1) // 2
        if tokens(start, middle) <= size:
            low = middle
        else:
            high = middle - 1
    return max(low, start + 1)


def _best_end(ordered: list[int], ranks: list[int], start: int, limit: int) -> int:
    """The best-ranked boundary in the window's second half (the latest among equals); the
    limit itself when there is none (a very long word is cut)."""
    half = start + (limit - start) // 2
    first = bisect.bisect_right(ordered, half)
    last = bisect.bisect_right(ordered, limit)
    best, best_rank = limit, -1
    for index in range(first, last):
        if ranks[index] >= best_rank:
            best, best_rank = ordered[index], ranks[index]
    return best


def _next_start(ordered: list[int], start: int, end: int, overlap: int, tokens: SpanTokens) -> int:
    """A boundary about `overlap` tokens before `end`, always after `start` (progress)."""
    if overlap == 0:
        return end
    first = bisect.bisect_right(ordered, start)
    last = bisect.bisect_left(ordered, end)
    low, high = first, last  # the earliest boundary whose tail fits in the overlap (tails shrink)
    while low < high:
        middle = (low + high) // 2
        if tokens(ordered[middle], end) <= overlap:
            high = middle
        else:
            low = middle + 1
    return ordered[low] if low < last else end
