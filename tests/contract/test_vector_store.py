"""The VectorStore contract, run against LanceDB (a local folder, object storage) and the in-memory
fake. Hybrid search fuses the vector and text rankings above the store (tests/unit/application)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from chi_llm.adapters.fake import FakeEmbedder
from chi_llm.adapters.fake_store import InMemoryStore
from chi_llm.adapters.lancedb_store import LanceDbStore
from chi_llm.domain.errors import ConfigError
from chi_llm.domain.ports import VectorStore
from chi_llm.domain.rag import Passage
from tests.support.s3 import S3

EMBED = FakeEmbedder(dimension=256)
TEXTS = {
    "cars.md": ["Red cars are fast on the motorway.", "A blue car parked in the garage."],
    "fruit.md": ["Bananas are yellow and sweet.", "Apples grow on trees in autumn."],
    "notes.txt": ["The meeting is on Tuesday about the budget."],
}


@dataclass
class Kind:
    make: Callable[[Path], VectorStore]
    persistent: bool


def on_s3(server: S3) -> Callable[[Path], VectorStore]:
    bucket = server.bucket()  # one per test: the same one when a test reopens its store
    return lambda tmp: LanceDbStore(f"s3://{bucket}/knowledge", "kb", server.options())


STORES = {
    "lancedb": lambda request: Kind(lambda tmp: LanceDbStore(str(tmp / "db"), "kb"), persistent=True),
    "lancedb_s3": lambda request: Kind(on_s3(request.getfixturevalue("s3_server")), persistent=True),
    "memory": lambda request: Kind(lambda tmp: InMemoryStore("kb"), persistent=False),
}


@pytest.fixture(params=list(STORES), ids=list(STORES))
def kind(request: pytest.FixtureRequest) -> Kind:
    return STORES[request.param](request)


@pytest.fixture
def store(kind: Kind, tmp_path: Path) -> VectorStore:
    store = kind.make(tmp_path)
    store.open(model_id=EMBED.model_id, dimension=EMBED.dimension)
    for source, texts in TEXTS.items():
        add(store, source, texts, lang="de" if source == "notes.txt" else "en")
    return store


def add(store: VectorStore, source: str, texts: list[str], lang: str = "en", version: str = "v1") -> None:
    document_id = f"doc:{source}"
    passages = [
        Passage(
            id=f"{document_id}#{i}",
            document_id=document_id,
            source=source,
            index=i,
            start=i * 100,
            end=i * 100 + len(t),
            text=t,
            heading="Intro" if i == 0 else None,
            metadata={"lang": lang, "year": 2024, "draft": source == "notes.txt"},
        )
        for i, t in enumerate(texts)
    ]
    store.add(passages, EMBED.embed_documents(texts), {document_id: f"{source}:{version}"})


def search(store: VectorStore, query: str, mode: str = "vector", k: int = 3, **where: object) -> list[str]:
    hits = store.search(vector=EMBED.embed_query(query), text=query, k=k, mode=mode, where=where or None)  # type: ignore[arg-type]
    return [h.passage.text for h in hits]


def test_added_passages_are_counted_and_listed_by_document(store: VectorStore) -> None:
    assert store.count() == 5
    documents = store.documents()
    assert [(d.source, d.chunks, d.content_hash) for d in documents] == [
        ("cars.md", 2, "cars.md:v1"),
        ("fruit.md", 2, "fruit.md:v1"),
        ("notes.txt", 1, "notes.txt:v1"),
    ]
    info = store.info()
    assert (info.embedding_model, info.dimension, info.chunks, info.documents) == ("fake-embedder", 256, 5, 3)


@pytest.mark.parametrize("mode", ["vector", "text"])
def test_the_passage_about_the_query_comes_first(store: VectorStore, mode: str) -> None:
    assert search(store, "yellow bananas", mode)[0] == "Bananas are yellow and sweet."
    assert search(store, "red cars motorway", mode)[0] == "Red cars are fast on the motorway."


def test_hits_carry_the_passage_whole(store: VectorStore) -> None:
    hit = store.search(vector=EMBED.embed_query("red cars"), text=None, k=1, mode="vector")[0]
    assert hit.passage.source == "cars.md" and hit.passage.heading == "Intro" and hit.passage.index == 0
    assert hit.passage.metadata == {"lang": "en", "year": 2024, "draft": False} and hit.score > 0
    assert (hit.passage.start, hit.passage.end) == (0, len(hit.passage.text))


@pytest.mark.parametrize("mode", ["vector", "text"])
def test_filters_rank_only_matching_passages(store: VectorStore, mode: str) -> None:
    assert set(search(store, "cars bananas meeting", mode, k=10, source="fruit.md")) <= set(TEXTS["fruit.md"])
    assert search(store, "budget meeting", mode, k=10, lang="de") == TEXTS["notes.txt"]
    assert search(store, "budget meeting cars", mode, k=10, draft=True) == TEXTS["notes.txt"]
    assert search(store, "cars", mode, k=10, year=2023) == []


def test_delete_by_document_or_source_and_replace_a_document(store: VectorStore) -> None:
    assert store.delete(document_id="doc:cars.md") == 2 and store.count() == 3
    assert store.delete(document_id=["doc:nothing", "doc:notes.txt"]) == 1 and store.delete(document_id=[]) == 0
    add(store, "notes.txt", TEXTS["notes.txt"])
    assert store.delete(source="fruit.md") == 2 and store.delete(source="fruit.md") == 0
    add(store, "notes.txt", ["The meeting moved to Friday."], version="v2")  # a new version beside the old
    assert store.delete(document_id="doc:notes.txt") == 2
    add(store, "notes.txt", ["The meeting moved to Friday."], version="v2")
    assert search(store, "meeting", "text") == ["The meeting moved to Friday."]
    assert [d.content_hash for d in store.documents()] == ["notes.txt:v2"]


def test_another_embedding_model_is_refused(store: VectorStore) -> None:
    with pytest.raises(ConfigError, match="fake-embedder"):
        store.open(model_id="other-model", dimension=256)
    with pytest.raises(ConfigError, match="256"):
        store.open(model_id="fake-embedder", dimension=384)
    store.open(model_id="fake-embedder", dimension=256)  # the same model opens fine


def test_clear_removes_everything(store: VectorStore) -> None:
    store.clear()
    assert store.count() == 0 and store.documents() == [] and store.info().embedding_model is None
    assert search(store, "cars") == []
    store.open(model_id="other-model", dimension=256)  # a fresh start may use any model


def test_what_was_stored_is_there_after_reopening(kind: Kind, store: VectorStore, tmp_path: Path) -> None:
    if not kind.persistent:
        pytest.skip("in memory by design")
    again = kind.make(tmp_path)
    assert again.count() == 5 and again.info().embedding_model == "fake-embedder"
    assert search(again, "yellow bananas", "text")[0] == "Bananas are yellow and sweet."
    with pytest.raises(ConfigError):
        again.open(model_id="other-model", dimension=8)


@pytest.mark.parametrize("mode", ["vector", "text"])
def test_a_filter_of_another_type_than_the_values_stored_matches_nothing(store: VectorStore, mode: str) -> None:
    # lang holds text, year a whole number, draft true/false: a value of another type is no match (not an error)
    for where in ({"lang": 5}, {"lang": True}, {"lang": 1.5}, {"year": "2024"}, {"year": True}, {"year": 2024.5},
                  {"draft": 1}, {"draft": "true"}, {"lang": "en", "year": 2023}):  # fmt: skip
        assert search(store, "cars bananas meeting", mode, k=10, **where) == [], where
    assert len(search(store, "cars bananas meeting", "vector", k=10, year=2024, draft=False)) == 4


def test_filters_on_numbers_with_a_fraction(kind: Kind, tmp_path: Path) -> None:
    store = kind.make(tmp_path)
    store.open(model_id=EMBED.model_id, dimension=EMBED.dimension)
    texts = ["Tiny 1e-7 weight.", "Huge 1e20 mass.", "One and a half.", "Three point zero."]
    values = [1e-7, 1e20, 1.5, 3.0]
    passages = [
        Passage(
            id=f"n{i}#0",
            document_id=f"n{i}",
            source=f"n{i}",
            index=0,
            start=0,
            end=len(t),
            text=t,
            metadata={"x": v, "label": "a'b\"c\\d/é\n", "odd key.é'": i},
        )
        for i, (t, v) in enumerate(zip(texts, values, strict=True))
    ]
    store.add(passages, EMBED.embed_documents(texts), {p.document_id: "h" for p in passages})
    for value, text in zip(values, texts, strict=True):
        assert search(store, "weight mass half zero", "vector", k=10, x=value) == [text]
    assert search(store, "weight mass half zero", "vector", k=10, x=3) == []  # a whole number is not 3.0
    assert len(search(store, "weight mass half zero", "vector", k=10, label="a'b\"c\\d/é\n")) == 4
    assert search(store, "weight mass half zero", "vector", k=10, **{"odd key.é'": 2}) == [texts[2]]


def test_writers_take_turns(kind: Kind, tmp_path: Path) -> None:
    import threading
    import time

    first, second = kind.make(tmp_path), kind.make(tmp_path)
    if not kind.persistent:
        second = first  # one in-memory base: its writers are threads of this process
    order: list[str] = []

    def write_second() -> None:
        with second.writing():
            order.append("second")

    with first.writing():
        waiting = threading.Thread(target=write_second)
        waiting.start()
        time.sleep(0.3)
        order.append("first done")
    waiting.join(timeout=10)
    assert order == ["first done", "second"]


def test_documents_say_whether_their_chunks_are_all_there_once(store: VectorStore) -> None:
    assert all(d.intact for d in store.documents())
    assert {d.source: d.length for d in store.documents()} == {"cars.md": 132, "fruit.md": 131, "notes.txt": 43}
    add(store, "cars.md", TEXTS["cars.md"][:1], version="v1")  # its first chunk a second time
    cars = {d.source: d for d in store.documents()}["cars.md"]
    assert (cars.chunks, cars.intact, cars.length) == (3, False, 132)


def test_hits_carry_their_cosine_similarity_to_the_query_vector(store: VectorStore) -> None:
    query = "red cars motorway"
    by_vector = store.search(vector=EMBED.embed_query(query), text=None, k=5, mode="vector")
    cosine = {h.passage.id: h.score for h in by_vector}
    assert all(h.similarity == h.score for h in by_vector)
    by_text = store.search(vector=EMBED.embed_query(query), text=query, k=5, mode="text")
    assert by_text and all(h.similarity == pytest.approx(cosine[h.passage.id], abs=1e-5) for h in by_text)
    assert by_text[0].score > 1.0  # BM25, not a similarity
    without = store.search(vector=None, text=query, k=5, mode="text")
    assert [h.score for h in without] == [h.score for h in by_text] and all(h.similarity is None for h in without)
