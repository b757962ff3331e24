"""The Embedder contract, run against fastembed's default model (fetched from the package index
once) and the fake."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest

from chi_llm.adapters.fake import FakeEmbedder
from chi_llm.adapters.fastembed_embedder import FastEmbedEmbedder
from chi_llm.domain.ports import Embedder
from tests.conftest import shared_models_dir


def shared_cache() -> Path:
    return shared_models_dir().parent  # embeddings/ beside models/: fetched once for every run


_fastembed: FastEmbedEmbedder | None = None


def fastembed_default() -> Embedder:
    global _fastembed
    if _fastembed is None:
        _fastembed = FastEmbedEmbedder(cache_dir=shared_cache(), threads=2)
    return _fastembed


EMBEDDERS: dict[str, Callable[[], Embedder]] = {"fastembed": fastembed_default, "fake": FakeEmbedder}


@pytest.fixture(params=list(EMBEDDERS), ids=list(EMBEDDERS))
def embedder(request: pytest.FixtureRequest) -> Embedder:
    return EMBEDDERS[request.param]()


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / (math.hypot(*a) * math.hypot(*b))


def test_vectors_have_the_stated_dimension_and_are_deterministic(embedder: Embedder) -> None:
    vectors = embedder.embed_documents(["The car is red.", "Bananas are yellow."])
    assert len(vectors) == 2 and all(len(v) == embedder.dimension for v in vectors)
    assert embedder.embed_documents(["The car is red."])[0] == pytest.approx(vectors[0], abs=1e-6)
    assert len(embedder.embed_query("red car")) == embedder.dimension and embedder.embed_documents([]) == []


def test_a_query_is_closest_to_the_passage_about_it(embedder: Embedder) -> None:
    red, yellow = embedder.embed_documents(["The car is red and fast.", "Bananas are yellow fruit."])
    query = embedder.embed_query("What colour is the car?")
    assert cosine(query, red) > cosine(query, yellow)


def test_token_starts_locate_each_token(embedder: Embedder) -> None:
    text = "Chunking needs offsets: here they are. " * 40
    starts = embedder.token_starts(text)
    assert len(starts) == embedder.count_tokens(text) and starts == sorted(starts)
    assert all(0 <= s < len(text) and not text[s].isspace() for s in starts)


def test_tokens_are_counted_past_the_models_input_length(embedder: Embedder) -> None:
    assert embedder.count_tokens("alpha beta gamma") >= 3
    assert embedder.count_tokens("word " * 1000) >= 1000
    assert embedder.model_id


def test_the_default_model_comes_from_the_package_index_and_is_verified() -> None:
    from chi_llm.adapters.embedding_files import BGE_SMALL, EmbeddingModelFiles

    fastembed_default().embed_query("load it")
    files = EmbeddingModelFiles(shared_cache() / "embeddings")
    assert files.is_ready(BGE_SMALL) and fastembed_default().dimension == 384
    folder = files.folder_for(BGE_SMALL)
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == sorted(
        f.name for f in BGE_SMALL.files
    )


def test_the_onnx_threads_do_not_spin_between_runs() -> None:
    """Spinning threads would steal the CPU from the search that follows an embedded query."""
    embedder = fastembed_default()
    embedder.embed_query("load")
    options = embedder._model.model.model.get_session_options()  # type: ignore[attr-defined]
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
