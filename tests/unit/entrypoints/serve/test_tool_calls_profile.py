"""Tool calling through `chi-llm serve` to a provider profile: the official `openai` client
talks to the server, the server to an OpenAI-compatible stand-in on loopback whose engine
calls the tools it is offered (as tool_choice and parallel_tool_calls say). The calls, the
results sent back and the final answer cross both hops, whole and streamed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.serve import Running
from tests.support.serve_clients import openai_client as client
from tests.support.serve_remote import sent, serving_remote, upstream_server
from tests.support.servers.base import Server

SAID = 'Oslo "Norway" \\ ünïcode'  # the engine's string arguments are the user's text: escapes cross both hops
ASK: Any = [{"role": "user", "content": SAID}]
WEATHER: Any = {
    "type": "function",
    "function": {
        "name": "weather",
        "description": "The weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
NOW: Any = {
    "type": "function",
    "function": {"name": "now", "parameters": {"type": "object", "properties": {"utc": {"type": "boolean"}}}},
}


def run(name: str, arguments: str) -> str:
    values = json.loads(arguments)
    return f"12 C in {values['city']}" if name == "weather" else f"noon (utc={values['utc']})"


@pytest.fixture
def upstream() -> Iterator[Server]:
    with upstream_server() as server:
        yield server


@pytest.fixture
def served(upstream: Server, tmp_path: Path) -> Iterator[Running]:
    with serving_remote(upstream, tmp_path) as running:
        yield running


def test_the_whole_flow_through_a_profile(served: Running, upstream: Server) -> None:
    api, messages = client(served), list(ASK)
    choice: Any = {"type": "function", "function": {"name": "weather"}}
    first = api.chat.completions.create(model="remote", messages=messages, tools=[WEATHER, NOW], tool_choice=choice)
    assert sent(upstream)["tool_choice"] == choice and [t["function"]["name"] for t in sent(upstream)["tools"]] == [
        "weather",
        "now",
    ]
    answer = first.choices[0]
    (call,) = answer.message.tool_calls or []
    assert call.type == "function" and answer.finish_reason == "tool_calls" and call.function.name == "weather"
    assert json.loads(call.function.arguments) == {"city": SAID}
    messages += [
        answer.message,
        {"role": "tool", "tool_call_id": call.id, "content": run("weather", call.function.arguments)},
    ]
    final = api.chat.completions.create(model="remote", messages=messages, tools=[WEATHER, NOW])
    assert final.choices[0].finish_reason == "stop" and final.choices[0].message.content == f"Echo: {SAID}"
    assert final.model == "remote"
    turns = sent(upstream)["messages"]
    assert turns[-2]["tool_calls"][0]["id"] == call.id and json.loads(
        turns[-2]["tool_calls"][0]["function"]["arguments"]
    ) == {"city": SAID}
    assert turns[-1] == {"role": "tool", "tool_call_id": call.id, "content": f"12 C in {SAID}"}


def test_the_streamed_flow_through_a_profile(served: Running, upstream: Server) -> None:
    api, messages = client(served), list(ASK)
    with api.chat.completions.stream(
        model="remote", messages=messages, tools=[WEATHER, NOW], tool_choice="required"
    ) as stream:
        done = stream.get_final_completion()
    calls = done.choices[0].message.tool_calls or []
    assert done.choices[0].finish_reason == "tool_calls" and [c.function.name for c in calls] == ["weather", "now"]
    assert json.loads(calls[1].function.arguments) == {"utc": True}
    assert sent(upstream)["tool_choice"] == "required" and sent(upstream)["stream"] is True
    messages.append(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [c.model_dump(exclude={"function": {"parsed_arguments"}}) for c in calls],
        }
    )
    messages += [
        {"role": "tool", "tool_call_id": c.id, "content": run(c.function.name, c.function.arguments)} for c in calls
    ]
    with api.chat.completions.stream(model="remote", messages=messages, tools=[WEATHER, NOW]) as stream:
        text = "".join(e.delta for e in stream if e.type == "content.delta")
    assert text == f"Echo: {SAID}"
    assert [m["role"] for m in sent(upstream)["messages"]] == ["user", "assistant", "tool", "tool"]


@pytest.mark.parametrize("stream", [False, True])
def test_tool_choice_required_none_and_parallel_through_a_profile(
    served: Running, upstream: Server, stream: bool
) -> None:
    api = client(served)

    def calls_of(**extra: Any) -> list[str]:
        if not stream:
            message = (
                api.chat.completions.create(model="remote", messages=ASK, tools=[WEATHER, NOW], **extra)
                .choices[0]
                .message
            )
            return [c.function.name for c in message.tool_calls or []]
        with api.chat.completions.stream(model="remote", messages=ASK, tools=[WEATHER, NOW], **extra) as events:
            message = events.get_final_completion().choices[0].message
        return [c.function.name for c in message.tool_calls or []]

    assert calls_of(tool_choice="required") == ["weather", "now"]
    assert calls_of(tool_choice="required", parallel_tool_calls=False) == ["weather"]
    assert sent(upstream)["parallel_tool_calls"] is False
    assert calls_of(tool_choice={"type": "function", "function": {"name": "now"}}) == ["now"]
    assert calls_of(tool_choice="none") == []
    assert sent(upstream)["tool_choice"] == "none"
