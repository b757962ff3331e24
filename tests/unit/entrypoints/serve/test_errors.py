"""chi_llm's error kinds to HTTP, in one place; a provider that is down is a 503 with
Retry-After, and the configured order falls back before the first token."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from chi_llm.domain.errors import (
    AllProvidersFailed,
    BackendUnavailable,
    ChiLlmError,
    ConfigError,
    ContextLengthExceeded,
    GenerationFailed,
    InsufficientResources,
    InvalidRequest,
    InvalidToolCall,
    MissingCredentials,
    ModelNotFound,
    RateLimited,
    ToolLoopLimit,
    ToolsUnsupported,
)
from chi_llm.entrypoints.server.errors import from_error, internal
from tests.support.serve import FAKE, in_process

DOWN = {"id": "down", "type": "ollama", "base_url": "http://127.0.0.1:9", "model": "m", "max_retries": 0}


@pytest.mark.parametrize(
    ("error", "status", "retry"),
    [
        (InvalidRequest("bad"), 400, False),
        (ToolsUnsupported("local cannot call tools"), 400, False),
        (ToolLoopLimit("still calling after 8 rounds", rounds=8), 400, False),
        (InvalidToolCall("the model's call cannot be read"), 502, False),
        (ContextLengthExceeded(prompt_tokens=9, context=4, backend="x"), 400, False),
        (ModelNotFound("no"), 404, False),
        (RateLimited("slow down"), 429, True),
        (BackendUnavailable("down"), 503, True),
        (AllProvidersFailed([("a", BackendUnavailable("down"))]), 503, True),
        (InsufficientResources("no memory"), 503, True),
        (MissingCredentials("key refused"), 503, False),
        (ConfigError("broken", key="providers"), 500, False),
        (GenerationFailed("boom"), 500, False),
        (ChiLlmError("other"), 500, False),
    ],
)
def test_each_error_kind_has_its_status(error: ChiLlmError, status: int, retry: bool) -> None:
    mapped = from_error(error)
    assert mapped.status == status
    assert ("Retry-After" in mapped.headers()) is retry
    body = mapped.body()["error"]
    assert set(body) == {"message", "type", "param", "code"} and error.message in body["message"]


def test_a_request_needing_tools_on_a_provider_without_them_names_the_tools_parameter() -> None:
    body = from_error(ToolsUnsupported("local cannot call tools")).body()["error"]
    assert (body["code"], body["param"]) == ("tools_unsupported", "tools")


@pytest.mark.parametrize(
    ("error", "code", "kind"),
    [
        (InvalidRequest("bad"), "invalid_request", "invalid_request_error"),
        (ToolLoopLimit("still calling after 8 rounds", rounds=8), "tool_loop_limit", "invalid_request_error"),
        (InvalidToolCall("the model's call cannot be read"), "invalid_tool_call", "server_error"),
    ],
)
def test_tool_errors_keep_their_own_code(error: ChiLlmError, code: str, kind: str) -> None:
    """A call the model wrote wrong is the backend's failure (502, like an answer that never
    began), not the client's; a loop out of rounds is the request's limit (400)."""
    body = from_error(error).body()["error"]
    assert (body["code"], body["type"]) == (code, kind)


def test_unexpected_failures_say_nothing_but_the_request_id() -> None:
    assert internal("req_1").body()["error"]["message"].endswith("request id req_1")


@pytest.fixture
def down_then_fake(tmp_path: Path) -> Iterator[str]:
    config = {**FAKE, "providers": [{**DOWN, "priority": 1}, {"id": "fake", "type": "fake", "priority": 2}]}
    config.pop("default_provider")
    with in_process(config, tmp_path) as running:
        yield running.api


def test_a_provider_that_is_down_is_503_with_retry_after(down_then_fake: str) -> None:
    answer = httpx.post(
        down_then_fake + "/chat/completions", json={"model": "down", "messages": [{"role": "user", "content": "x"}]}
    )
    assert answer.status_code == 503 and int(answer.headers["Retry-After"]) >= 1
    assert answer.json()["error"]["code"] == "backend_unavailable" and "Traceback" not in answer.text
    with pytest.raises(openai.InternalServerError):
        openai.OpenAI(base_url=down_then_fake, api_key="x", max_retries=0).chat.completions.create(
            model="down", messages=[{"role": "user", "content": "x"}]
        )


def test_the_default_order_falls_back_before_the_first_token(down_then_fake: str) -> None:
    for stream in (False, True):
        body = {"model": "default", "messages": [{"role": "user", "content": "x"}], "stream": stream}
        answer = httpx.post(down_then_fake + "/chat/completions", json=body)
        assert answer.status_code == 200 and answer.headers["x-chi-llm-provider"] == "fake"
        assert answer.headers["x-chi-llm-fallback"] == "down"  # who failed before it answered
        if stream:
            events = [json.loads(line[6:]) for line in answer.text.splitlines() if line.startswith("data: {")]
            text = "".join(e["choices"][0]["delta"].get("content") or "" for e in events)
        else:
            text = answer.json()["choices"][0]["message"]["content"]
        assert text == "Echo: x"


def test_embeddings_without_the_rag_extra_say_how_to_get_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = {**FAKE, "rag": {}}
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "fastembed" else real(name, *a))
    with in_process(config, tmp_path) as running:
        answer = httpx.post(running.api + "/embeddings", json={"model": "BAAI/bge-small-en-v1.5", "input": "x"})
        ids = [m["id"] for m in httpx.get(running.api + "/models").json()["data"]]
    assert answer.status_code == 404 and "chi-llm[rag]" in answer.json()["error"]["message"]
    assert "BAAI/bge-small-en-v1.5" not in ids
