"""The Responses API routed to a provider profile: the official `openai` client speaks Responses
to the server, the server chat completions to an OpenAI-compatible stand-in on loopback whose
engine calls the tools it is offered. Text, the calls, their outputs and the answer cross both
hops, whole and streamed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openai.types.responses import Response

from tests.support.serve import Running
from tests.support.serve_clients import openai_client as client
from tests.support.serve_remote import sent, serving_remote, upstream_server
from tests.support.servers.base import Server

SAID = 'Oslo "Norway" \\ ünïcode'  # the engine's string arguments are the user's text: escapes cross both hops
WEATHER: Any = {
    "type": "function",
    "name": "weather",
    "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


@pytest.fixture
def upstream() -> Iterator[Server]:
    with upstream_server() as server:
        yield server


@pytest.fixture
def served(upstream: Server, tmp_path: Path) -> Iterator[Running]:
    with serving_remote(upstream, tmp_path) as running:
        yield running


@pytest.mark.parametrize("stream", [False, True])
def test_text_through_a_profile(served: Running, upstream: Server, stream: bool) -> None:
    api = client(served)
    answer: Response
    if stream:
        with api.responses.stream(model="remote", input=SAID, instructions="be brief") as events:
            answer = events.get_final_response()
    else:
        answer = api.responses.create(model="remote", input=SAID, instructions="be brief")
    assert answer.output_text == f"Echo: {SAID}" and answer.model == "remote" and answer.status == "completed"
    assert answer.usage is not None and answer.usage.output_tokens > 0
    assert sent(upstream)["messages"] == [{"role": "system", "content": "be brief"}, {"role": "user", "content": SAID}]


@pytest.mark.parametrize("stream", [False, True])
def test_a_call_and_its_output_through_a_profile(served: Running, upstream: Server, stream: bool) -> None:
    api = client(served)
    conversation: list[Any] = [{"role": "user", "content": SAID}]
    choice: Any = {"type": "function", "name": "weather"}
    first: Response
    if stream:
        with api.responses.stream(model="remote", input=conversation, tools=[WEATHER], tool_choice=choice) as events:
            first = events.get_final_response()
    else:
        first = api.responses.create(model="remote", input=conversation, tools=[WEATHER], tool_choice=choice)
    assert sent(upstream)["tool_choice"] == {"type": "function", "function": {"name": "weather"}}
    (call,) = first.output
    assert call.type == "function_call" and call.name == "weather" and json.loads(call.arguments) == {"city": SAID}
    output = {"type": "function_call_output", "call_id": call.call_id, "output": f"12 C in {SAID}"}
    conversation += [call.model_dump(exclude_none=True), output]
    final = api.responses.create(model="remote", input=conversation, tools=[WEATHER], stream=False)
    assert final.output_text == f"Echo: {SAID}"
    turns = sent(upstream)["messages"]
    assert turns[-2]["tool_calls"][0]["id"] == call.call_id
    assert json.loads(turns[-2]["tool_calls"][0]["function"]["arguments"]) == {"city": SAID}
    assert turns[-1] == {"role": "tool", "tool_call_id": call.call_id, "content": f"12 C in {SAID}"}
