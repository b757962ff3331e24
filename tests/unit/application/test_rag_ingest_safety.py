"""Ingest on a real LanceDB folder and the fake embedder: a re-run repairs what an interrupted or
racing run left, and one id twice in one call is stored once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import chi_llm.application.rag.batches as batches
from chi_llm import MicroRAG
from tests.support.rag_docs import prose, prose_docs, stored


@pytest.fixture
def docs(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return prose_docs(isolated, monkeypatch)


def test_a_rerun_repairs_passages_stored_twice(docs: Path, isolated: Path) -> None:
    rag = MicroRAG(db_path=isolated / "kb")
    rag.add_files(str(docs))
    rows, chunks = stored(isolated / "kb")
    store = rag._rag.store
    doubled = [h.passage for h in rag.search("word", 1000, filter={"source": str(docs / "doc2.md")}, mode="vector")]
    hashes = {d.document_id: d.content_hash for d in store.documents()}
    store.add(doubled, rag._rag.embedder.embed_documents([p.text for p in doubled]), hashes)  # as a race left it
    assert stored(isolated / "kb")[0] == rows + len(doubled)
    again = rag.add_files(str(docs))
    assert [Path(p).name for p in again.repaired] == ["doc2.md"] and len(again.unchanged) == 5
    assert stored(isolated / "kb") == (rows, chunks)
    assert len(rag.add_files(str(docs)).unchanged) == 6


def test_a_rerun_repairs_what_an_interrupted_run_left(
    docs: Path, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rag = MicroRAG(db_path=isolated / "kb")
    rag.add_files(str(docs))
    rows, chunks = stored(isolated / "kb")
    (docs / "doc3.md").write_text(prose(20, 99))  # a longer version, written in several batches
    monkeypatch.setattr(batches, "BATCH_PASSAGES", 2)
    embedder = rag._rag.embedder
    real = embedder.embed_documents
    calls: list[int] = []

    def fails_on_the_third_batch(texts: Any) -> Any:
        calls.append(len(texts))
        if len(calls) == 3:
            raise KeyboardInterrupt  # the user stops the run part way through the file
        return real(texts)

    monkeypatch.setattr(embedder, "embed_documents", fails_on_the_third_batch)
    with pytest.raises(KeyboardInterrupt):
        rag.add_files(str(docs))
    part = {d.source: d for d in rag.list_sources()}[str(docs / "doc3.md")]
    assert part.chunks == 4 and part.intact  # the first two batches, with the new text's hash
    monkeypatch.setattr(embedder, "embed_documents", real)
    again = rag.add_files(str(docs))
    assert [Path(p).name for p in again.repaired] == ["doc3.md"] and len(again.unchanged) == 5
    fresh = MicroRAG(db_path=isolated / "fresh")
    fresh.add_files(str(docs))
    assert stored(isolated / "kb") == stored(isolated / "fresh")
    assert stored(isolated / "kb")[0] > rows and chunks["doc3.md"] < stored(isolated / "kb")[1]["doc3.md"]


def test_the_same_id_twice_in_one_call_is_stored_once(docs: Path, isolated: Path) -> None:
    rag = MicroRAG(db_path=isolated / "kb")
    ids = rag.add_documents(
        [{"text": "first version", "id": "a"}, {"text": "second version", "id": "a"}, "same", "same"]
    )
    assert ids[:2] == ["a", "a"] and rag.count() == 2
    assert [h.passage.text for h in rag.search("version", 5, mode="text")] == ["second version"]
