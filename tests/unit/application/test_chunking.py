"""Chunking: exact slices that cover the document with bounded overlap, sized by tokens, cut at
the best boundary, each knowing its heading."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

from hypothesis import assume, given
from hypothesis import strategies as st

from chi_llm.application.rag.chunking import Span, chunk_spans, estimate_tokens, iter_spans

WORDS = st.sampled_from(["alpha", "beta", "gamma", "δέλτα", "x", "2026", "end.", "why?", "code()", "a-b"])
SEPARATORS = st.sampled_from([" ", " ", " ", "\n", "\n\n", "\t", "  "])
LINES = st.sampled_from(["# Title", "## Part two", "```python", "```", "Heading\n=======", "- item"])


@st.composite
def documents(draw: st.DrawFn) -> str:
    pieces = []
    for _ in range(draw(st.integers(0, 400))):
        if draw(st.integers(0, 20)) == 0:
            pieces.append("\n" + draw(LINES) + "\n")
        else:
            pieces.append(draw(WORDS) + draw(SEPARATORS))
    return "".join(pieces)


def covers(text: str, spans: list[Span]) -> None:
    assert spans[0].start == 0 and spans[-1].end == len(text)
    for previous, current in itertools.pairwise(spans):
        assert previous.start < current.start <= previous.end  # progress, no gap
        assert current.start < current.end


@given(documents(), st.integers(8, 120), st.data())
def test_chunks_minus_overlaps_give_the_document_back(text: str, size: int, data: st.DataObject) -> None:
    overlap = data.draw(st.integers(0, size // 2))
    spans = chunk_spans(text, size, overlap)
    if not text:
        assert spans == []
        return
    covers(text, spans)
    rebuilt = text[: spans[0].end] + "".join(text[prev.end : cur.end] for prev, cur in itertools.pairwise(spans))
    assert rebuilt == text
    for span in spans:
        assert estimate_tokens(text[span.start : span.end]) <= size


@given(st.text(min_size=1, max_size=3000), st.integers(2, 50))
def test_any_text_is_covered_even_without_boundaries(text: str, size: int) -> None:
    spans = chunk_spans(text, size, size // 4)
    covers(text, spans)


def test_chunks_end_at_headings_and_paragraphs_and_know_their_heading() -> None:
    section = "word " * 60
    text = f"# Intro\n\n{section}\n\n## Setup\n\n{section}\n\nMore {section}"
    spans = chunk_spans(text, size=90, overlap=0)
    starts = {text[s.start : s.start + 8] for s in spans}
    assert "## Setup" in starts  # a chunk starts at the heading rather than mid-section
    assert [s.heading for s in spans][:2] == ["Intro", "Setup"]
    assert all(text[s.end - 1].isspace() or s.end == len(text) for s in spans)


def test_a_code_block_comment_is_not_a_heading() -> None:
    text = "# Real\n\n```bash\n# not a heading\nls\n```\n" + "tail " * 50
    assert {s.heading for s in chunk_spans(text, size=20, overlap=5)} == {"Real"}


def test_overlap_repeats_about_the_asked_number_of_tokens() -> None:
    text = " ".join(f"w{i}" for i in range(1000))
    spans = chunk_spans(text, size=100, overlap=20)
    for previous, current in itertools.pairwise(spans):
        shared = estimate_tokens(text[current.start : previous.end])
        assert 15 <= shared <= 20


@given(documents(), st.integers(8, 120))
def test_token_starts_size_chunks_like_a_counter(text: str, size: int) -> None:
    import bisect
    import re

    starts = [m.start() for m in re.finditer(r"\w+|[^\w\s]", text)]
    spans = chunk_spans(text, size, size // 4, starts=starts)
    if not text:
        assert spans == []
        return
    covers(text, spans)
    for span in spans:
        assert bisect.bisect_left(starts, span.end) - bisect.bisect_left(starts, span.start) <= size


def fake_starts(text: str) -> Callable[[int, int], list[int]]:
    """Where the tokens of text[a:b] start, found in that slice alone (as an embedder would)."""
    return lambda a, b: [a + m.start() for m in re.finditer(r"\w+|[^\w\s]", text[a:b])]


@given(documents(), st.integers(8, 60), st.sampled_from([64, 97, 200]), st.booleans())
def test_chunking_a_segment_at_a_time_gives_the_same_chunks(
    text: str, size: int, segment: int, by_tokens: bool
) -> None:
    assume(all(len(line) < segment // 2 for line in text.split("\n")))  # a line start to cut at
    tokenize = fake_starts(text) if by_tokens else None
    whole = list(iter_spans(text, size, size // 4, tokenize, segment=len(text) + 1))
    assert list(iter_spans(text, size, size // 4, tokenize, segment=segment)) == whole


def test_the_last_segment_ends_with_the_text_not_inside_its_last_word() -> None:
    # Found by hypothesis: the last segment ended 5 characters before the text did, inside the
    # last word (no line start left to cut at), so "alpha" was tokenized as "a" + "lpha".
    text = (
        "\n# Title\n"
        + "alpha " * 14
        + "\n# Title\n"
        + "alpha " * 15
        + "\n```\n"
        + "alpha " * 16
        + "\n# Title\n"
        + "alpha " * 9
        + "beta \n```\nx x x x code() a-b a-b a-b "
        + "alpha " * 10
        + "x end. \nHeading\n=======\nend. code() a-b alpha "
    )
    tokenize = fake_starts(text)
    whole = list(iter_spans(text, 30, 7, tokenize, segment=len(text) + 1))
    assert list(iter_spans(text, 30, 7, tokenize, segment=200)) == whole


@given(st.text(min_size=1, max_size=3000), st.integers(2, 50), st.integers(1, 300))
def test_any_text_is_covered_a_segment_at_a_time(text: str, size: int, segment: int) -> None:
    spans = list(iter_spans(text, size, size // 4, fake_starts(text), segment=segment))
    covers(text, spans)


def test_a_heading_and_a_code_block_across_segments() -> None:
    text = "# Real\n\n```bash\n" + "echo x\n" * 40 + "# not a heading\n```\n\n## Next\n\n" + "tail words\n" * 40
    for segment in (16, 50, 10_000):
        headings = [s.heading for s in iter_spans(text, 20, 5, fake_starts(text), segment=segment)]
        assert set(headings) == {"Real", "Next"} and headings[-1] == "Next", segment
