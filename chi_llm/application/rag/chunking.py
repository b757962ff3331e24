"""Token-aware chunking with overlap that prefers heading, paragraph and code-block boundaries.

Every chunk is an exact slice of the document (`text[start:end]`); consecutive chunks touch or
overlap, so together they cover the whole document and nothing is lost or invented."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

TokenCounter = Callable[[str], int]
_TOKEN = re.compile(r"\w+|[^\w\s]")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_RST_HEADING = re.compile(r"^([^\n]+)\n([=\-~^\"'`#*+])\2{2,}[ \t]*$", re.MULTILINE)
_FENCE = re.compile(r"^(```|~~~)", re.MULTILINE)
# Where a chunk may end, best first: before a heading, at a code fence, at a blank line, at a
# line end, after a sentence, at any white space.
HEADING, FENCE, PARAGRAPH, LINE, SENTENCE, SPACE = 5, 4, 3, 2, 1, 0


def estimate_tokens(text: str) -> int:
    """Words and punctuation marks: close to a WordPiece/BPE count for prose (within ~30%)."""
    return len(_TOKEN.findall(text))


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    heading: str | None


def code_blocks(text: str) -> list[tuple[int, int]]:
    """(start, end) of fenced code blocks (an unclosed fence runs to the end)."""
    fences = [m.start() for m in _FENCE.finditer(text)]
    blocks = []
    for index in range(0, len(fences), 2):
        end = fences[index + 1] if index + 1 < len(fences) else len(text)
        blocks.append((fences[index], end))
    return blocks


def headings(text: str) -> list[tuple[int, str]]:
    """(offset, title) of Markdown ATX and reStructuredText underlined headings, in order;
    a `# comment` inside a fenced code block is not a heading."""
    found = [(m.start(), m.group(2).strip()) for m in _HEADING.finditer(text)]
    found += [(m.start(), m.group(1).strip()) for m in _RST_HEADING.finditer(text) if m.group(1).strip()]
    blocks = code_blocks(text)
    return sorted(h for h in found if not any(start < h[0] < end for start, end in blocks))


def boundaries(text: str) -> dict[int, int]:
    """Offset -> how good a place it is to end a chunk (the chunk ends just before it)."""
    points: dict[int, int] = {}

    def mark(offset: int, rank: int) -> None:
        if 0 < offset < len(text) and points.get(offset, -1) < rank:
            points[offset] = rank

    for match in re.finditer(r"\s+", text):
        gap = match.group()
        end = match.end()
        if "\n\n" in gap or "\n\r\n" in gap:
            mark(end, PARAGRAPH)
        elif "\n" in gap:
            mark(end, LINE)
        elif match.start() > 0 and text[match.start() - 1] in ".!?;:":
            mark(end, SENTENCE)
        else:
            mark(end, SPACE)
    for offset, _ in headings(text):
        mark(offset, HEADING)
    for match in _FENCE.finditer(text):
        mark(match.start(), FENCE)
        line_end = text.find("\n", match.start())
        if line_end >= 0:
            mark(line_end + 1, FENCE)
    return points


def chunk_spans(
    text: str,
    size: int = 300,
    overlap: int = 40,
    count: TokenCounter = estimate_tokens,
    starts: Sequence[int] | None = None,
) -> list[Span]:
    """Spans of at most about `size` tokens, each starting `overlap` tokens before the previous
    one ended, ending at the best boundary in the second half of its window. Tokens are counted
    by `count` on each candidate slice, or, given `starts` (where each token of `text` starts),
    from those offsets: one tokenization of the document instead of several per chunk."""
    if size < 2 or not 0 <= overlap < size:
        raise ValueError(f"need size >= 2 and 0 <= overlap < size, got size={size}, overlap={overlap}")
    if not text:
        return []
    points = boundaries(text)
    ordered = sorted(points)
    titles = headings(text)
    title_offsets = [offset for offset, _ in titles]
    tokens = _from_starts(starts) if starts is not None else _from_counter(text, count)
    spans: list[Span] = []
    start = 0
    while True:
        limit = _fit(len(text), start, size, tokens)
        if limit >= len(text):
            spans.append(Span(start, len(text), _heading_at(titles, title_offsets, start)))
            return spans
        end = _best_end(ordered, points, start, limit)
        spans.append(Span(start, end, _heading_at(titles, title_offsets, start)))
        start = _next_start(ordered, start, end, overlap, tokens)


MAX_TOKEN_CHARS = 64  # a window of size * this many characters is searched (bounds the cost)


SpanTokens = Callable[[int, int], int]  # tokens in text[start:end]


def _from_counter(text: str, count: TokenCounter) -> SpanTokens:
    return lambda start, end: count(text[start:end])


def _from_starts(starts: Sequence[int]) -> SpanTokens:
    """Tokens starting inside [start, end)."""
    return lambda start, end: bisect.bisect_left(starts, end) - bisect.bisect_left(starts, start)


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


def _best_end(ordered: list[int], points: dict[int, int], start: int, limit: int) -> int:
    """The best-ranked boundary in the window's second half (the latest among equals); the
    limit itself when there is none (a very long word is cut)."""
    half = start + (limit - start) // 2
    first = bisect.bisect_right(ordered, half)
    last = bisect.bisect_right(ordered, limit)
    best, best_rank = limit, -1
    for offset in ordered[first:last]:
        if points[offset] >= best_rank:
            best, best_rank = offset, points[offset]
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


def _heading_at(titles: list[tuple[int, str]], offsets: list[int], position: int) -> str | None:
    index = bisect.bisect_right(offsets, position) - 1
    return titles[index][1] if index >= 0 else None
