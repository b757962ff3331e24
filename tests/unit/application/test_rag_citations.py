"""Citations of sources that were not given are removed from answers and counted — whole and
streamed, however the stream is cut — while code in backticks is left alone."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chi_llm import MicroRAG
from chi_llm.adapters.document_loader import FileLoader
from chi_llm.adapters.fake import FakeEmbedder, FakeTextGenerator
from chi_llm.adapters.fake_store import InMemoryStore
from chi_llm.application.generation import GenerationService
from chi_llm.application.rag.citations import CitationFilter, cited, without_foreign_citations
from chi_llm.application.rag.ingest import Ingestor
from chi_llm.application.rag.service import RagService, SourcesFound
from chi_llm.domain.errors import ModelNotFound
from chi_llm.domain.rag import RagSettings


@pytest.mark.parametrize(
    ("answer", "cleaned", "removed"),
    [
        ("Lettuce grows in shade [1][5]. Ferns too [5].", "Lettuce grows in shade [1]. Ferns too.", (5, 5)),
        ("Shade[4], sun [0].", "Shade[4], sun.", (0,)),
        ("Both [1, 5] and [2,3].", "Both [1] and [2, 3].", (5,)),
        ("[7] Lettuce.", " Lettuce.", (7,)),
        ("Use `items[5]` here [5].", "Use `items[5]` here.", (5,)),
        ("```\nx = a[9]\n```\nDone [9].", "```\nx = a[9]\n```\nDone.", (9,)),
        ("A [note] and [2023] stay.", "A [note] and [2023] stay.", ()),
    ],
)
def test_citations_outside_the_sources_are_removed_and_counted(
    answer: str, cleaned: str, removed: tuple[int, ...]
) -> None:
    text, _, gone = without_foreign_citations(answer, 4)
    assert (text, gone) == (cleaned, removed)


def test_cited_numbers_are_the_valid_ones_outside_code() -> None:
    assert cited("A [2] and [1][2], not [9] or [0] or [x]; `b[3]`.", 3) == (2, 1)


PIECES = st.sampled_from(["Lettuce", " ", "[", "]", "1", "5", "0", ",", "`", "```", "\n", ".", "[2]", "[5]", "a[1]"])


@given(pieces=st.lists(PIECES, max_size=30), cuts=st.lists(st.integers(0, 200), max_size=12))
def test_a_stream_cut_anywhere_is_cleaned_as_the_whole_answer(pieces: list[str], cuts: list[int]) -> None:
    answer = "".join(pieces)
    whole, whole_cited, whole_removed = without_foreign_citations(answer, 3)
    marks = sorted({0, len(answer), *(c for c in cuts if c < len(answer))})
    check = CitationFilter(3)
    shown = "".join(check.feed(answer[a:b]) for a, b in itertools.pairwise(marks)) + check.flush()
    assert (shown, check.cited, tuple(check.removed)) == (whole, whole_cited, whole_removed)


def configure(monkeypatch: pytest.MonkeyPatch, reply: str, context: int = 4096, **rag: object) -> None:
    config = {
        "provider": {"type": "fake", "replies": [reply] * 4, "context": context},
        "rag": {"embedding_model": "fake", "min_score": 0.1, "top_k": 2, **rag},
    }
    monkeypatch.setenv("CHI_LLM_CONFIG", json.dumps(config))


def test_an_answer_citing_a_source_not_given_is_cleaned_everywhere(
    monkeypatch: pytest.MonkeyPatch, isolated: Path
) -> None:
    configure(monkeypatch, "Lettuce grows in shade [1][5].")
    rag = MicroRAG(db_path="memory:")
    rag.add_documents(["Lettuce and ferns grow in shade.", "Tomatoes want sun.", "Cars need brakes."])
    answer = rag.query("what grows in shade", include_sources=True)
    assert answer.answer == "Lettuce grows in shade [1]." and answer.cited == (1,)
    assert answer.removed_citations == (5,) and answer.to_json()["removed_citations"] == [5]
    assert rag.query("what grows in shade") == "Lettuce grows in shade [1]."
    stream = rag.stream_query("what grows in shade")
    events = list(stream)
    assert isinstance(events[0], SourcesFound)
    assert "".join(e for e in events[1:] if isinstance(e, str)) == "Lettuce grows in shade [1]."
    assert stream.removed_citations == (5,)


async def test_aquery_returns_what_query_returns(monkeypatch: pytest.MonkeyPatch, isolated: Path) -> None:
    configure(monkeypatch, "Shade: lettuce [1][3].")
    rag = MicroRAG(db_path="memory:")
    rag.add_documents(["Lettuce and ferns grow in shade.", "Tomatoes want sun."])
    assert await rag.aquery("lettuce shade") == "Shade: lettuce [1]."  # a string, as query() gives
    answer = await rag.aquery("lettuce shade", include_sources=True)
    assert not isinstance(answer, str) and answer.cited == (1,) and answer.removed_citations == (3,)
    stream = rag.astream_query("lettuce shade")
    texts = [e async for e in stream if isinstance(e, str)]
    assert "".join(texts) == "Shade: lettuce [1]." and stream.removed_citations == (3,)


def _answer_tokens(monkeypatch: pytest.MonkeyPatch, context: int = 4096, **rag: object) -> int | None:
    configure(monkeypatch, "Lettuce [1].", context=context, **rag)
    base = MicroRAG(db_path="memory:")
    base.add_documents(["Lettuce and ferns grow in shade."])
    base.query("shade")
    router = base._rag.generation.generator
    return router.generator(router.candidates[0]).requests[-1].options.max_tokens  # type: ignore[attr-defined,no-any-return]


def test_answers_are_bounded_by_a_rag_default_that_fits_the_context(
    monkeypatch: pytest.MonkeyPatch, isolated: Path
) -> None:
    assert _answer_tokens(monkeypatch) == 256  # rag.max_tokens, under the 512 configured for everything
    assert _answer_tokens(monkeypatch, context=400) == 100  # at most a quarter of the context
    assert _answer_tokens(monkeypatch, max_tokens=300) == 300
    monkeypatch.setenv("CHI_LLM_MAX_TOKENS", "40")  # a lower configured max_tokens bounds answers too
    assert _answer_tokens(monkeypatch, max_tokens=300) == 40


class _NoContext(FakeTextGenerator):
    def context_window(self) -> int | None:
        raise ModelNotFound("the model cannot be had offline", backend="local")


def test_a_provider_that_cannot_tell_its_context_does_not_stop_the_answer() -> None:
    """The answer's bound falls back to the default context: routing, not the bound, decides
    what happens when the first provider cannot be had."""
    generator = _NoContext(replies=["Lettuce [1]."])
    settings = RagSettings(min_score=0.1)
    ingestor = Ingestor(embedder=FakeEmbedder(), store=InMemoryStore(), loader=FileLoader(env={}), settings=settings)
    rag = RagService(ingestor=ingestor, generation=GenerationService(generator))
    rag.add_document("Lettuce and ferns grow in shade.")
    assert rag.query("lettuce shade").answer == "Lettuce [1]."
    assert generator.requests[-1].options.max_tokens == 256
