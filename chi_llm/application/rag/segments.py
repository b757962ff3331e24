"""What chunking needs to know of a document, worked out a segment at a time and dropped once
the chunks have moved past it: where a chunk may end and how good a place that is, where tokens
start, and the headings (a `# comment` inside a fenced code block is not one).

A segment ends where a line starts with a non-blank character that does not begin an RST
underline (a title stays with its underline), or at the end of the text; failing that (a line
longer than a segment) where a word starts; failing that (no white space at all) anywhere. Cut
at a line start or the end, each segment finds exactly what one pass over the whole text would;
at the fallbacks a heading or a token cut in two may be seen differently, and the chunks still
cover the document exactly."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence

SEGMENT = 1 << 16  # characters scanned at a time
Tokenize = Callable[[int, int], Sequence[int]]  # (a, b) -> where the tokens of text[a:b] start, in text
_TOKEN = re.compile(r"\w+|[^\w\s]")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_RST_HEADING = re.compile(r"^([^\n]+)\n([=\-~^\"'`#*+])\2{2,}[ \t]*$", re.MULTILINE)
_FENCE = re.compile(r"^(```|~~~)", re.MULTILINE)
_GAP = re.compile(r"\s+")
_LINE_CUT = re.compile(r"\n(?=\S)(?!([=\-~^\"'`#*+])\1{2,}[ \t]*(?:\n|$))")
_WORD_CUT = re.compile(r"\s(?=\S)")
_LOOK_PAST = 256  # how far past a segment's end an underline is looked for
# Where a chunk may end, best first: before a heading, at a code fence, at a blank line, at a
# line end, after a sentence, at any white space.
HEADING, FENCE, PARAGRAPH, LINE, SENTENCE, SPACE = 5, 4, 3, 2, 1, 0


def estimate_tokens(text: str) -> int:
    """Words and punctuation marks: close to a WordPiece/BPE count for prose (within ~30%)."""
    return len(_TOKEN.findall(text))


def cut(text: str, at: int, segment: int) -> int:
    """Where the segment that reaches `at` ends: the first line start in [at, at + segment), else
    the end of the text when that comes first, else a word start, else `at`."""
    if at >= len(text):
        return len(text)
    stop = min(len(text), at + segment)
    found = _LINE_CUT.search(text, at - 1, min(len(text), stop + _LOOK_PAST))
    if found is not None and found.end() < stop:
        return found.end()
    if stop == len(text):  # the end of the text is as good as a line start (not a word cut in two)
        return stop
    found = _WORD_CUT.search(text, at - 1, min(len(text), stop + _LOOK_PAST))
    if found is not None and found.end() < stop:
        return found.end()
    return at


def _gap_rank(text: str, start: int, end: int) -> int:
    if text.find("\n\n", start, end) >= 0 or text.find("\n\r\n", start, end) >= 0:
        return PARAGRAPH
    if text.find("\n", start, end) >= 0:
        return LINE
    return SENTENCE if start > 0 and text[start - 1] in ".!?;:" else SPACE


def scan(text: str, a: int, b: int, inside: bool) -> tuple[dict[int, int], list[tuple[int, str]], int]:
    """For text[a:b], a segment (`inside`: it starts inside a code block): the boundaries in
    [a, b] with their ranks, the headings starting in it, and how many fences start in it."""
    end = min(len(text), b + 1)  # one character more: the white space ending at b is seen whole
    points: dict[int, int] = {}

    def mark(offset: int, rank: int) -> None:
        if a <= offset <= b and 0 < offset < len(text) and points.get(offset, -1) < rank:
            points[offset] = rank

    for match in _GAP.finditer(text, a, end):
        mark(match.end(), _gap_rank(text, match.start(), match.end()))
    fences = [m.start() for m in _FENCE.finditer(text, a, end) if m.start() < b]
    for fence in fences:
        mark(fence, FENCE)
        line_end = text.find("\n", fence, end)
        if line_end >= 0:
            mark(line_end + 1, FENCE)
    found = [(m.start(), m.group(2).strip()) for m in _HEADING.finditer(text, a, end)]
    found += [(m.start(), m.group(1).strip()) for m in _RST_HEADING.finditer(text, a, end) if m.group(1).strip()]
    titles = sorted(h for h in found if h[0] < b and (inside + bisect.bisect_left(fences, h[0])) % 2 == 0)
    for offset, _ in titles:
        mark(offset, HEADING)
    return points, titles, len(fences)


class Window:
    """The boundaries, token starts and headings of the part of a document chunking is at."""

    def __init__(self, text: str, tokenize: Tokenize | None, segment: int) -> None:
        self.text = text
        self._tokenize = tokenize
        self._segment = max(1, segment)
        self.points: list[int] = []  # ascending
        self.ranks: list[int] = []  # the rank of each point
        self._starts: list[int] = []  # where tokens start, ascending
        self._title_offsets: list[int] = []
        self._titles: list[str] = []
        self._loaded = 0
        self._inside = False

    def advance(self, start: int, until: int) -> None:
        """Scanned up to `until` at least (or the end); what lies before `start` let go."""
        text = self.text
        while self._loaded < min(until, len(text)):
            a = self._loaded
            b = cut(text, a + self._segment, self._segment)
            points, titles, fences = scan(text, a, b, self._inside)
            for offset in sorted(points):
                if self.points and self.points[-1] == offset:  # a heading or fence at the cut
                    self.ranks[-1] = max(self.ranks[-1], points[offset])
                else:
                    self.points.append(offset)
                    self.ranks.append(points[offset])
            self._title_offsets += [offset for offset, _ in titles]
            self._titles += [title for _, title in titles]
            if self._tokenize is not None:
                self._starts.extend(self._tokenize(a, b))
            self._inside = self._inside ^ (fences % 2 == 1)
            self._loaded = b
        self._let_go(start)

    def _let_go(self, start: int) -> None:
        done = bisect.bisect_right(self.points, start)
        if done > 1024 and done * 2 > len(self.points):
            del self.points[:done], self.ranks[:done]
        done = bisect.bisect_left(self._starts, start)
        if done > 1024 and done * 2 > len(self._starts):
            del self._starts[:done]
        done = bisect.bisect_right(self._title_offsets, start) - 1  # the heading at start is kept
        if done > 1024 and done * 2 > len(self._titles):
            del self._title_offsets[:done], self._titles[:done]

    def tokens(self, start: int, end: int) -> int:
        """Tokens starting inside [start, end)."""
        return bisect.bisect_left(self._starts, end) - bisect.bisect_left(self._starts, start)

    def heading_at(self, position: int) -> str | None:
        index = bisect.bisect_right(self._title_offsets, position) - 1
        return self._titles[index] if index >= 0 else None
