"""The Messages API routed to a provider profile: the official `anthropic` client talks to the
server, the server to an OpenAI-compatible stand-in on loopback whose engine calls the tools it
is offered. Text, a tool use round trip (whole and streamed) cross both hops; the profile has no
tokenizer here, so count_tokens estimates and says so."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import pytest

from tests.support.serve import FAKE, Running, in_process
from tests.support.serve_clients import anthropic_client as client
from tests.support.serve_remote import sent, serving_remote, upstream_server
from tests.support.servers.base import Server

SAID = 'Oslo "Norway" ünïcode'
ASK: Any = [{"role": "user", "content": SAID}]
WEATHER: Any = {
    "name": "weather",
    "description": "The weather in a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


@pytest.fixture
def upstream() -> Iterator[Server]:
    with upstream_server() as server:
        yield server


@pytest.fixture
def served(upstream: Server, tmp_path: Path) -> Iterator[Running]:
    with serving_remote(upstream, tmp_path) as running:
        yield running


def test_text_whole_and_streamed_through_a_profile(served: Running, upstream: Server) -> None:
    raw = client(served).messages.with_raw_response.create(model="remote", max_tokens=50, system="brief", messages=ASK)
    answer = raw.parse()
    assert raw.headers["x-chi-llm-provider"] == "remote" and answer.model == "remote"
    assert answer.content[0].type == "text" and answer.content[0].text == f"Echo: {SAID}"
    assert [m["role"] for m in sent(upstream)["messages"]] == ["system", "user"] and sent(upstream)["max_tokens"] == 50
    with client(served).messages.stream(model="remote", max_tokens=50, messages=ASK) as stream:
        assert "".join(stream.text_stream) == f"Echo: {SAID}"
        assert stream.get_final_message().stop_reason == "end_turn"


@pytest.mark.parametrize("stream", [False, True])
def test_a_tool_use_round_trip_through_a_profile(served: Running, upstream: Server, stream: bool) -> None:
    api = client(served)
    choice: Any = {"type": "tool", "name": "weather"}
    first: anthropic.types.Message
    if stream:
        with api.messages.stream(
            model="remote", max_tokens=50, messages=ASK, tools=[WEATHER], tool_choice=choice
        ) as events:
            first = events.get_final_message()
    else:
        first = api.messages.create(model="remote", max_tokens=50, messages=ASK, tools=[WEATHER], tool_choice=choice)
    assert sent(upstream)["tool_choice"] == {"type": "function", "function": {"name": "weather"}}
    (use,) = [b for b in first.content if b.type == "tool_use"]
    assert first.stop_reason == "tool_use" and use.name == "weather" and use.input == {"city": SAID}
    turns: Any = [
        *ASK,
        {"role": "assistant", "content": [b.model_dump() for b in first.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "12 C"}]},
    ]
    final = api.messages.create(model="remote", max_tokens=50, messages=turns, tools=[WEATHER])
    assert final.stop_reason == "end_turn" and final.content[0].type == "text"
    asked, result = sent(upstream)["messages"][-2:]
    assert asked["tool_calls"][0]["id"] == use.id and json.loads(asked["tool_calls"][0]["function"]["arguments"]) == {
        "city": SAID
    }
    assert result == {"role": "tool", "tool_call_id": use.id, "content": "12 C"}


def test_count_tokens_on_a_profile_is_an_estimate_and_says_so(served: Running, upstream: Server) -> None:
    calls = len(upstream.requests)
    raw = client(served).messages.with_raw_response.count_tokens(model="remote", messages=ASK, tools=[WEATHER])
    assert raw.headers["x-chi-llm-token-count"] == "estimate"
    assert raw.parse().input_tokens > 0 and len(upstream.requests) == calls  # nothing was sent upstream


def test_chi_llms_own_anthropic_provider_speaks_to_this_server(tmp_path: Path) -> None:
    """Both directions of the wire: an `anthropic` profile (chi_llm's client of Anthropic's API)
    pointed at a second chi-llm server's Messages API, text and tool calls, whole and streamed."""
    (tmp_path / "inner").mkdir()
    (tmp_path / "outer").mkdir()
    with in_process(FAKE, tmp_path / "inner") as inner:
        claude = {"id": "claude", "type": "anthropic", "base_url": inner.url, "api_key": "k", "model": "fake"}
        config = {**FAKE, "providers": [{"id": "fake", "type": "fake"}, claude]}
        with in_process(config, tmp_path / "outer") as outer:
            api = client(outer)
            answer = api.messages.create(model="claude", max_tokens=50, messages=ASK)
            assert answer.content[0].type == "text" and answer.content[0].text == f"Echo: {SAID}"
            with api.messages.stream(model="claude", max_tokens=50, messages=ASK) as stream:
                assert "".join(stream.text_stream) == f"Echo: {SAID}"
            engine = inner.state.backends.get(inner.state.route("fake")).router.primary
            engine.queue({"tool_calls": [{"name": "weather", "arguments": {"city": "Oslo"}, "id": "toolu_9"}]})  # type: ignore[attr-defined]
            called = api.messages.create(model="claude", max_tokens=50, messages=ASK, tools=[WEATHER])
            (use,) = [b for b in called.content if b.type == "tool_use"]
            assert called.stop_reason == "tool_use" and (use.id, use.input) == ("toolu_9", {"city": "Oslo"})
