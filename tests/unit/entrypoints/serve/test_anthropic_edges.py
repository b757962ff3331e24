"""The Messages API at its edges: any JSON body is an answer or a 4xx in Anthropic's shape
(never a 500), a client that leaves stops decoding, a browser's preflight may carry Anthropic's
headers, and the checks every route shares answer in Anthropic's shape on its paths."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chi_llm.entrypoints.server.backends import Route
from tests.support.serve import FAKE, Running, in_process
from tests.support.serve_clients import fake_backend as fake_of

LONG = " ".join(f"w{i}" for i in range(400))
SLOW = {**FAKE, "providers": [{"id": "fake", "type": "fake", "token_delay": 0.02, "replies": [LONG] * 20}]}
ASK: Any = {"model": "fake", "max_tokens": 1000, "messages": [{"role": "user", "content": "go"}]}
TOOL: Any = {"name": "weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}
USE: Any = {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "x"}}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Running]:
    with in_process(FAKE, tmp_path) as running:
        yield running


def anthropic_error(answer: httpx.Response) -> None:
    body = answer.json()
    assert body["type"] == "error" and set(body["error"]) == {"type", "message"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
blocks = st.sampled_from(
    [
        {"type": "text", "text": "hi"},
        USE,
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "12 C"},
        {"type": "thinking", "thinking": "hm"},
        {"type": "image", "source": {}},
    ]
) | st.dictionaries(st.sampled_from(["type", "text", "id", "name", "input", "tool_use_id", "content"]), json_values)
turns = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant"]) | json_values, "content": st.text(max_size=5) | st.lists(blocks)}
)
bodies = st.fixed_dictionaries(
    {"model": st.just("fake"), "messages": st.lists(turns, max_size=4) | json_values},
    optional={
        "max_tokens": st.integers(-1, 20) | json_values,
        "system": st.text(max_size=5) | st.lists(blocks, max_size=2) | json_values,
        "tools": st.sampled_from([[TOOL], [], [{"type": "bash_20250124", "name": "bash"}]]) | json_values,
        "tool_choice": st.sampled_from([{"type": "auto"}, {"type": "any"}, {"type": "tool", "name": "weather"}])
        | json_values,
        "stop_sequences": st.lists(st.text(max_size=3), max_size=3) | json_values,
        "temperature": st.floats(allow_nan=False, allow_infinity=False) | json_values,
        "stream": st.booleans() | json_values,
        "thinking": json_values,
        "output_config": json_values,
    },
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(body=bodies | json_values, count=st.booleans())
def test_any_body_is_an_answer_or_a_4xx_in_anthropics_shape(served: Running, body: Any, count: bool) -> None:
    path = "/messages/count_tokens" if count else "/messages"
    sent = json.dumps(body).encode()
    answer = httpx.post(served.api + path, content=sent, headers={"Content-Type": "application/json"}, timeout=30)
    assert answer.status_code in (200, 400, 404), answer.text
    if answer.status_code != 200:
        anthropic_error(answer)
    elif count:
        assert isinstance(answer.json()["input_tokens"], int)
    elif answer.headers["content-type"].startswith("text/event-stream"):
        assert answer.text.rstrip().endswith('data: {"type":"message_stop"}') and "event: error" not in answer.text
    else:
        assert answer.json()["type"] == "message"


def test_the_shared_checks_answer_in_anthropics_shape(tmp_path: Path) -> None:
    with in_process(FAKE, tmp_path, api_keys=("key-123456",), allow_origins=("http://localhost:3000",)) as running:
        url = running.api + "/messages"
        for headers, status in (
            ({"x-api-key": "nope"}, 401),
            ({"Authorization": "Bearer key-123456", "Content-Type": "text/plain"}, 415),
            ({"x-api-key": "key-123456", "Origin": "http://evil.example"}, 403),
        ):
            answer = httpx.post(url, content=b"{}", headers=headers)
            assert answer.status_code == status
            anthropic_error(answer)
        answer = httpx.get(url, headers={"x-api-key": "key-123456"})
        assert answer.status_code == 405 and answer.json()["error"]["type"] == "invalid_request_error"
        chat = httpx.post(running.api + "/chat/completions", json={}, headers={"x-api-key": "nope"})
        assert chat.status_code == 401 and chat.json()["error"]["code"] == "invalid_api_key"  # OpenAI's shape there
        headers = {"x-api-key": "key-123456", "anthropic-version": "2023-06-01", "anthropic-beta": "anything-2099"}
        assert httpx.post(url, json=ASK | {"max_tokens": 3}, headers=headers).status_code == 200
        preflight = {
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-api-key, anthropic-version, content-type",
        }
        answer = httpx.options(url, headers=preflight)
        assert (
            answer.status_code == 200 and "anthropic-version" in answer.headers["access-control-allow-headers"].lower()
        )


def test_shutting_down_is_anthropics_overloaded_error(served: Running) -> None:
    served.state.draining = True
    try:
        answer = httpx.post(served.api + "/messages", json=ASK)
    finally:
        served.state.draining = False
    assert answer.status_code == 503 and answer.json()["error"]["type"] == "overloaded_error"
    assert int(answer.headers["Retry-After"]) >= 1


async def test_a_client_that_leaves_stops_decoding(tmp_path: Path) -> None:
    with in_process(SLOW, tmp_path) as running:
        fake = fake_of(running)
        url = running.api + "/messages"
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.send(client.build_request("POST", url, json={**ASK, "stream": True}), stream=True)
            pieces = response.aiter_raw()
            await pieces.__anext__()
            await asyncio.sleep(0.2)
            assert fake.tokens_decoded > 3  # still decoding while the client is there
            await response.aclose()  # leave mid-stream
        await asyncio.sleep(0.5)
        stopped_at = fake.tokens_decoded
        await asyncio.sleep(0.5)
        assert fake.tokens_decoded == stopped_at < 100
        async with httpx.AsyncClient(timeout=0.3) as client:  # a whole answer: the client gives up
            with pytest.raises(httpx.ReadTimeout):
                await client.post(url, json=ASK)
        await asyncio.sleep(0.5)
        stopped_at = fake.tokens_decoded
        await asyncio.sleep(0.5)
        assert fake.tokens_decoded == stopped_at
        assert running.state.backends.get(Route(provider="fake")).gate.active == 0
