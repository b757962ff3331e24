"""RAG through MicroRAG: a real LanceDB folder, the fake embedder (deterministic, counts what it
embeds) and the fake provider (scripted answers), so behaviour, not model quality, is tested."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chi_llm import MicroRAG, quick_rag
from chi_llm.application.rag.citations import cited
from chi_llm.application.rag.service import NOTHING_FOUND, SourcesFound
from chi_llm.domain.errors import ConfigError, InvalidRequest

GARDEN = (
    "# Garden\n\n## Tomatoes\n\nWater tomatoes twice a week at the base.\n\n## Shade\n\nLettuce and ferns like shade.\n"
)
CARS = "The blue car needs new brakes on Tuesday.\n"


def configure(monkeypatch: pytest.MonkeyPatch, replies: list[str] | None = None, **rag: Any) -> None:
    config = {
        "provider": {"type": "fake", "replies": replies or ["Tomatoes want water twice a week [1]."]},
        "rag": {"embedding_model": "fake", "min_score": 0.1, **rag},
    }
    monkeypatch.setenv("CHI_LLM_CONFIG", json.dumps(config))


@pytest.fixture
def docs(isolated: Path) -> Path:
    folder = isolated / "docs"
    folder.mkdir()
    (folder / "garden.md").write_text(GARDEN)
    (folder / "cars.txt").write_text(CARS)
    return folder


def test_an_answer_cites_its_numbered_sources(monkeypatch: pytest.MonkeyPatch, docs: Path, tmp_path: Path) -> None:
    configure(monkeypatch)
    rag = MicroRAG(db_path=tmp_path / "kb")
    report = rag.add_files(str(docs))
    assert sorted(Path(p).name for p in report.added) == ["cars.txt", "garden.md"] and report.chunks >= 2
    answer = rag.query("How often do I water tomatoes?", include_sources=True)
    assert not isinstance(answer, str)
    assert answer.found and answer.cited == (1,) and answer.answer.endswith("[1].")
    top = answer.sources[0].passage
    assert top.source.endswith("garden.md") and GARDEN[top.start : top.end] == top.text
    assert answer.to_json()["sources"][0]["number"] == 1


def test_nothing_relevant_is_said_not_invented(monkeypatch: pytest.MonkeyPatch, docs: Path, tmp_path: Path) -> None:
    configure(monkeypatch, replies=["an invented answer"], min_score=0.25)
    rag = MicroRAG(db_path=tmp_path / "kb")
    rag.add_files(str(docs))
    answer = rag.query("quantum chromodynamics lattice", include_sources=True)
    assert not isinstance(answer, str) and not answer.found and answer.answer == NOTHING_FOUND and answer.sources == ()
    assert MicroRAG(db_path=tmp_path / "empty").query("anything?") == NOTHING_FOUND


def test_unchanged_files_are_not_embedded_again_and_changes_replace(
    monkeypatch: pytest.MonkeyPatch, docs: Path, tmp_path: Path
) -> None:
    configure(monkeypatch)
    rag = MicroRAG(db_path=tmp_path / "kb")
    rag.add_files(str(docs))
    embedder = rag._rag.embedder
    before = embedder.embedded  # type: ignore[attr-defined]
    again = rag.add_files(str(docs))
    assert len(again.unchanged) == 2 and again.chunks == 0 and embedder.embedded == before  # type: ignore[attr-defined]
    (docs / "cars.txt").write_text("The red car is sold.\n")
    changed = rag.add_files(str(docs))
    assert [Path(p).name for p in changed.updated] == ["cars.txt"] and changed.chunks == 1
    assert [h.passage.text for h in rag.search("car", 1, mode="text")] == ["The red car is sold.\n"]
    (docs / "cars.txt").unlink()
    pruned = rag.add_files(str(docs), prune=True)
    assert [Path(p).name for p in pruned.pruned] == ["cars.txt"]
    assert [Path(d.source).name for d in rag.list_sources()] == ["garden.md"]


def test_streaming_gives_the_sources_first(monkeypatch: pytest.MonkeyPatch, docs: Path) -> None:
    configure(monkeypatch, replies=["Twice a week [1]."])
    rag = MicroRAG(db_path="memory:")
    rag.add_files(str(docs))
    events = list(rag.stream_query("water tomatoes"))
    assert isinstance(events[0], SourcesFound) and events[0].found and events[0].sources
    assert "".join(e for e in events[1:] if isinstance(e, str)) == "Twice a week [1]."


async def test_async_query(monkeypatch: pytest.MonkeyPatch, docs: Path) -> None:
    configure(monkeypatch, replies=["Shade: lettuce [1]."])
    rag = MicroRAG(db_path="memory:")
    rag.add_files(str(docs))
    answer = await rag.aquery("lettuce shade", include_sources=True)
    assert answer.found and answer.cited == (1,)


def test_documents_with_metadata_filters_and_deletes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    configure(monkeypatch)
    rag = MicroRAG(db_path=tmp_path / "kb")
    first = rag.add_document("Paris is the capital of France.", {"lang": "en", "source": "atlas"})
    rag.add_document("Berlin ist die Hauptstadt von Deutschland.", {"lang": "de"}, id="de-1")
    assert rag.count() == 2 and first.startswith("text:")
    assert [h.passage.document_id for h in rag.search("capital Paris Berlin", 5, filter={"lang": "de"})] == ["de-1"]
    assert rag.delete(source="atlas") == 1 and rag.delete(id="de-1") == 1 and rag.count() == 0
    with pytest.raises(InvalidRequest):
        rag.delete()


def test_a_knowledge_base_keeps_its_embedding_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    configure(monkeypatch)
    MicroRAG(db_path=tmp_path / "kb").add_document("Some text.")
    configure(monkeypatch, embedding_model="BAAI/bge-small-en-v1.5")
    with pytest.raises(ConfigError, match="fake-embedder"):
        MicroRAG(db_path=tmp_path / "kb").add_document("More text.")


def test_quick_rag_answers_from_the_texts_given(monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, replies=["Blue [1]."])  # the passage on tomatoes is below min_score: not sent
    assert quick_rag("which car needs brakes", ["Tomatoes like sun.", CARS]) == "Blue [1]."


def test_citations_are_parsed_strictly() -> None:
    assert cited("A [2] and [1][2], not [9] or [0] or [x].", 3) == (2, 1)


def test_the_rag_key_is_checked_and_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.cli import run

    configure(monkeypatch, top_k=3)
    shown = json.loads(run("config", "show", "--explain", "--json").stdout)["rag"]
    assert shown["value"]["top_k"] == 3 and shown["source"] == "env CHI_LLM_CONFIG"
    configure(monkeypatch, chunk_size=8)
    assert run("config", "show").exit_code == 2


def test_hybrid_search_shows_cosine_similarities(monkeypatch: pytest.MonkeyPatch, docs: Path, tmp_path: Path) -> None:
    configure(monkeypatch)
    rag = MicroRAG(db_path=tmp_path / "kb")
    rag.add_files(str(docs))
    cosine = {h.passage.id: h.score for h in rag.search("water the tomatoes", 10, mode="vector")}
    hybrid = rag.search("water the tomatoes", 3, mode="hybrid")
    assert hybrid and all(h.score == h.similarity == pytest.approx(cosine[h.passage.id]) for h in hybrid)
    assert hybrid[0].score > 0.3  # not a reciprocal-rank value like 0.033


@pytest.mark.parametrize("mode", ["hybrid", "vector", "text"])
def test_passages_below_the_relevance_cutoff_are_not_sent(
    monkeypatch: pytest.MonkeyPatch, docs: Path, mode: str
) -> None:
    configure(monkeypatch, replies=["Twice a week [1]."], min_score=0.3)
    rag = MicroRAG(db_path="memory:")
    rag.add_files(str(docs))
    found = rag.search("water tomatoes twice a week on Tuesday", 5, mode=mode)
    assert {Path(h.passage.source).name for h in found} == {"garden.md", "cars.txt"}  # both in the top k
    answer = rag.query("water tomatoes twice a week on Tuesday", include_sources=True, mode=mode)
    assert not isinstance(answer, str) and answer.found
    assert answer.sources and all((h.similarity or 0) >= 0.3 for h in answer.sources)
    assert [Path(h.passage.source).name for h in answer.sources] == ["garden.md"]


def test_the_dense_weight_is_a_checked_setting(monkeypatch: pytest.MonkeyPatch, docs: Path) -> None:
    configure(monkeypatch, dense_weight=0.0)  # the text ranking alone
    rag = MicroRAG(db_path="memory:")
    rag.add_files(str(docs))
    question = "blue tomatoes"
    text_order = [h.passage.id for h in rag.search(question, 2, mode="text")]
    assert [h.passage.id for h in rag.search(question, 2, mode="hybrid")] == text_order
    for wrong in (1.5, -0.1, "high", True):
        configure(monkeypatch, dense_weight=wrong)
        with pytest.raises(ConfigError, match="dense_weight"):
            MicroRAG(db_path="memory:").search("anything")
