"""What clients see of the server's models: OpenAI's embedding model names reach the configured
embedder, `/v1/models` lists `default` and the chat models first and marks the embedding ones
(LM Studio's `type`: llm / embeddings), and a stream the client leaves is logged 499 like a
whole answer it leaves."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from tests.support.serve import FAKE, Running, in_process
from tests.support.serve_clients import openai_client as client

OPENAI_EMBEDDING_NAMES = ("text-embedding-3-small", "text-embedding-3-large", "text-embedding-ada-002")
SLOW = {**FAKE, "providers": [{"id": "fake", "type": "fake", "token_delay": 0.05, "replies": ["w " * 400] * 5}]}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Running]:
    with in_process(FAKE, tmp_path) as running:
        yield running


def test_openai_embedding_names_use_the_configured_embedder(served: Running) -> None:
    expected = client(served).embeddings.create(model="fake", input="alpha beta", encoding_format="float")
    for name in OPENAI_EMBEDDING_NAMES:
        answer = client(served).embeddings.create(model=name, input="alpha beta", encoding_format="float")
        assert answer.data[0].embedding == expected.data[0].embedding, name
        assert answer.model == name
    with pytest.raises(openai.NotFoundError) as refused:
        client(served).embeddings.create(model="text-embedding-4-huge", input="alpha beta")
    assert refused.value.code == "model_not_found" and "'fake'" in refused.value.message


def test_an_embedding_name_asked_to_chat_says_where_it_belongs(served: Running) -> None:
    with pytest.raises(openai.NotFoundError) as refused:
        client(served).chat.completions.create(
            model="text-embedding-3-small", messages=[{"role": "user", "content": "hi"}]
        )
    assert "embedding" in refused.value.message and "/v1/embeddings" in refused.value.message


def test_models_lists_default_and_chat_models_first_and_marks_embeddings(served: Running) -> None:
    listed = list(client(served).models.list())
    ids = [m.id for m in listed]
    kinds: list[Any] = [getattr(m, "type", None) for m in listed]
    assert ids[0] == "default" and kinds[0] == "llm"
    assert {"fake", "smollm2-135m", "fake/smollm2-135m"} <= set(ids)
    embeddings = [m.id for m, kind in zip(listed, kinds, strict=True) if kind == "embeddings"]
    assert embeddings == list(OPENAI_EMBEDDING_NAMES)  # the embedder `fake` shares its id with the profile
    first_embedding = kinds.index("embeddings")
    assert set(kinds[:first_embedding]) == {"llm"} and set(kinds[first_embedding:]) == {"embeddings"}
    default = client(served).models.retrieve("default")
    assert getattr(default, "chi_llm", None) == {"kind": "default", "provider": "fake", "model": "smollm2-135m"}
    alias = client(served).models.retrieve("text-embedding-3-small")
    assert getattr(alias, "type", None) == "embeddings"
    assert getattr(alias, "chi_llm", None) == {"kind": "embedding", "alias_of": "fake"}


def test_the_configured_embedder_is_listed_by_its_name(tmp_path: Path) -> None:
    config = {**FAKE, "rag": {"embedding_model": "BAAI/bge-small-en-v1.5"}}
    with in_process(config, tmp_path) as running:
        answer = httpx.get(running.api + "/models").json()["data"]
    embeddings = [(m["id"], m["chi_llm"]) for m in answer if m["type"] == "embeddings"]
    assert embeddings[0] == ("BAAI/bge-small-en-v1.5", {"kind": "embedding"})
    assert [e[0] for e in embeddings[1:]] == list(OPENAI_EMBEDDING_NAMES)


def access_entries(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [r.access for r in caplog.records if hasattr(r, "access")]


def wait_for_entries(caplog: pytest.LogCaptureFixture, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while len(access_entries(caplog)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return access_entries(caplog)


def test_a_stream_the_client_leaves_is_logged_499(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    body = {"model": "fake", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    with caplog.at_level(logging.INFO, logger="chi_llm"), in_process(SLOW, tmp_path) as running:
        with httpx.Client(timeout=30) as http, http.stream("POST", running.api + "/chat/completions", json=body) as got:
            assert got.status_code == 200
            next(got.iter_bytes())  # the first event: the answer has begun
        (left,) = wait_for_entries(caplog, 1)
        short = {**body, "max_tokens": 2}
        with (
            httpx.Client(timeout=30) as http,
            http.stream("POST", running.api + "/chat/completions", json=short) as got,
        ):
            assert b"[DONE]" in got.read()
        finished = wait_for_entries(caplog, 2)[1]
    assert left["status"] == 499 and left["outcome"] == "client_gone" and left["stream"] is True
    assert finished["status"] == 200 and "outcome" not in finished
