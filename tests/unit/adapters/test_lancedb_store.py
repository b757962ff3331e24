"""LanceDB's indexes kept current: a vector index once the table is large (retrained as it
grows), new rows folded in, and rows added after an index was built still found."""

from __future__ import annotations

from pathlib import Path

import pytest

import chi_llm.adapters.lancedb_store as lancedb_store
from chi_llm.adapters.fake import FakeEmbedder
from chi_llm.adapters.lancedb_store import LanceDbStore
from chi_llm.domain.rag import Passage

EMBED = FakeEmbedder(dimension=256)


def add(store: LanceDbStore, first: int, count: int) -> None:
    texts = [f"passage number{n} about topic{n % 7} and word{n}" for n in range(first, first + count)]
    passages = [
        Passage(id=f"d{n}#0", document_id=f"d{n}", source=f"s{n}", index=0, start=0, end=len(t), text=t)
        for n, t in zip(range(first, first + count), texts, strict=True)
    ]
    store.add(passages, EMBED.embed_documents(texts), {p.document_id: "h" for p in passages})


def indexes(store: LanceDbStore) -> dict[str, tuple[int, int]]:
    table = store._existing()
    return {i.index_type: (int(i.num_indexed_rows), int(i.num_unindexed_rows)) for i in table.list_indices()}


def test_indexes_follow_the_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lancedb_store, "VECTOR_INDEX_MIN_ROWS", 300)
    monkeypatch.setattr(lancedb_store, "UNINDEXED_LIMIT", 100)
    store = LanceDbStore(str(tmp_path / "db"), "kb")
    store.open(model_id=EMBED.model_id, dimension=EMBED.dimension)
    add(store, 0, 280)
    assert store.search(vector=None, text="word7", k=1, mode="text")  # builds the full-text index
    assert not store.info().vector_index and indexes(store)["FTS"] == (280, 0)
    add(store, 280, 40)  # 320 rows: the vector index is built
    assert store.info().vector_index and indexes(store)["IvfPq"] == (320, 0)
    add(store, 320, 30)  # few new rows: searched by a scan, not yet folded in
    assert store.search(vector=None, text="word345", k=1, mode="text")[0].passage.document_id == "d345"
    own = EMBED.embed_query("passage number345 about topic2 and word345")
    assert store.search(vector=own, text=None, k=1, mode="vector")[0].passage.document_id == "d345"
    assert indexes(store)["FTS"] == (280, 70)
    add(store, 350, 300)  # the table has doubled since the index was built: retrained over all rows
    assert indexes(store)["IvfPq"] == (650, 0) and indexes(store)["FTS"] == (650, 0)
    assert store.search(vector=None, text="word600", k=1, mode="text")[0].passage.document_id == "d600"


def test_a_writer_holding_the_lock_has_the_indexes_kept_up_once_when_it_is_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lancedb_store, "VECTOR_INDEX_MIN_ROWS", 300)
    store = LanceDbStore(str(tmp_path / "db"), "kb")
    store.open(model_id=EMBED.model_id, dimension=EMBED.dimension)
    with store.writing():
        for first in range(0, 400, 100):  # a large file, written a batch at a time
            add(store, first, 100)
        assert not store.info().vector_index  # not rebuilt after each batch
    assert store.info().vector_index and indexes(store)["IvfPq"] == (400, 0)
    assert (tmp_path / "db" / ".kb.lock").is_file() and store.info().chunks == 400
