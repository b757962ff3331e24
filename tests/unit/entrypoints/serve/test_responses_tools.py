"""Function tools through the Responses API with the official `openai` client, on the fake
backend scripted with calls: a call, the function run, its `function_call_output` sent back
with the whole conversation, the answer; whole and streamed (the function_call items and
their argument deltas); and any body a 400 or an answer, never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openai.types.responses import Response

from tests.support.serve import FAKE, Running, in_process
from tests.support.serve_clients import fake_backend as fake
from tests.support.serve_clients import openai_client as client

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
WEATHER: Any = {"type": "function", "name": "weather", "description": "The weather in a city.", "parameters": SCHEMA}
NOW: Any = {"type": "function", "name": "now", "description": "The time."}
OSLO = {"tool_calls": [{"name": "weather", "arguments": {"city": "Oslo"}, "id": "call_w"}]}


def weather(city: str) -> str:
    return f"12 C and rain in {city}"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Running]:
    with in_process(FAKE, tmp_path) as running:
        yield running


def test_a_call_then_its_output_then_the_answer(served: Running) -> None:
    fake(served).queue(OSLO, "It is 12 C and raining in Oslo.")
    api = client(served)
    conversation: list[Any] = [{"role": "user", "content": "Weather in Oslo?"}]
    first = api.responses.create(model="fake", input=conversation, tools=[WEATHER, NOW])
    (call,) = first.output
    assert call.type == "function_call" and call.call_id == "call_w" and call.name == "weather"
    assert call.id is not None and call.id.startswith("fc_") and call.status == "completed"
    assert first.status == "completed" and first.output_text == ""
    Response.model_validate(first.to_dict())  # validated: the echoed tools, the call item
    assert [t.name for t in first.tools if t.type == "function"] == ["weather", "now"]
    result = weather(**json.loads(call.arguments))
    conversation += [*first.output, {"type": "function_call_output", "call_id": call.call_id, "output": result}]
    final = api.responses.create(model="fake", input=conversation, tools=[WEATHER, NOW])
    assert final.output_text == "It is 12 C and raining in Oslo." and final.output[0].type == "message"
    offered = fake(served).requests[0].options.tools
    assert offered is not None and [t.name for t in offered.tools] == ["weather", "now"] and offered.choice == "auto"
    assert offered.tools[0].parameters == SCHEMA
    asked, answered = fake(served).requests[1].messages[-2:]
    assert asked.role == "assistant" and asked.tool_calls[0].id == "call_w"
    assert dict(asked.tool_calls[0].arguments) == {"city": "Oslo"}
    assert (answered.role, answered.tool_call_id, answered.name, answered.content) == (
        "tool",
        "call_w",
        "weather",
        "12 C and rain in Oslo",
    )


def test_a_streamed_call_is_its_item_and_argument_deltas(served: Running) -> None:
    fake(served).queue({"content": "Let me look.", **OSLO}, "Rainy, 12 C.")
    api = client(served)
    with api.responses.stream(model="fake", input="Weather in Oslo?", tools=[WEATHER]) as stream:
        events: list[Any] = list(stream)
        done = stream.get_final_response()
    kinds = [e.type for e in events]
    assert kinds == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        *["response.output_text.delta"] * 3,
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.output_item.added",
        *["response.function_call_arguments.delta"] * 3,  # the fake's 3 pieces
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    added = next(e for e in events if e.type == "response.output_item.added" and e.item.type == "function_call")
    assert added.output_index == 1 and added.item.name == "weather" and added.item.call_id == "call_w"
    pieces = [e for e in events if e.type == "response.function_call_arguments.delta"]
    assert "".join(e.delta for e in pieces) == '{"city": "Oslo"}' and len(pieces) == 3
    assert all((e.item_id, e.output_index) == (added.item.id, 1) for e in pieces)
    (arguments,) = [e for e in events if e.type == "response.function_call_arguments.done"]
    assert arguments.arguments == '{"city": "Oslo"}'
    message, call = done.output
    assert message.type == "message" and done.output_text == "Let me look."
    assert call.type == "function_call" and call.arguments == '{"city": "Oslo"}' and call.status == "completed"
    history: Any = [
        {"role": "user", "content": "Weather in Oslo?"},
        *[item.model_dump(exclude_none=True) for item in done.output],
        {"type": "function_call_output", "call_id": call.call_id, "output": weather("Oslo")},
    ]
    after: list[Any] = list(api.responses.create(model="fake", input=history, tools=[WEATHER], stream=True))
    assert after[-1].type == "response.completed" and after[-1].response.output_text == "Rainy, 12 C."
    asked = fake(served).requests[-1].messages[-2]
    assert asked.content == "Let me look." and asked.tool_calls[0].name == "weather"  # the text and its call: one turn


@pytest.mark.parametrize(
    ("choice", "expected"),
    [("required", "required"), ("none", "none"), ({"type": "function", "name": "now"}, "now")],
)
def test_tool_choice_and_parallel_reach_the_backend(served: Running, choice: Any, expected: str) -> None:
    answer = client(served).responses.create(
        model="fake", input="x", tools=[WEATHER, NOW], tool_choice=choice, parallel_tool_calls=False
    )
    tools = fake(served).requests[-1].options.tools
    assert tools is not None and tools.choice == expected and tools.parallel is False
    assert answer.parallel_tool_calls is False


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
CALL: Any = {"type": "function_call", "call_id": "c1", "name": "weather", "arguments": '{"city": "x"}'}
items = st.sampled_from(
    [
        {"role": "user", "content": "hi"},
        CALL,
        {"type": "function_call_output", "call_id": "c1", "output": "12 C"},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "ok"}]},
    ]
) | st.dictionaries(st.sampled_from(["type", "role", "content", "call_id", "name", "output"]), json_values, max_size=4)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(
    input=st.lists(items, min_size=1, max_size=4) | json_values,
    tools=st.sampled_from([[WEATHER], [WEATHER, NOW], [], [{"type": "web_search"}]]) | json_values,
    choice=st.sampled_from(["auto", "none", "required", {"type": "function", "name": "weather"}]) | json_values,
    extra=st.dictionaries(st.sampled_from(["text", "max_output_tokens", "instructions", "store"]), json_values),
    stream=st.booleans(),
)
def test_any_body_is_an_answer_or_a_400_never_a_500(
    served: Running, input: Any, tools: Any, choice: Any, extra: Any, stream: bool
) -> None:
    body = {"model": "fake", "input": input, "tools": tools, "tool_choice": choice, "stream": stream, **extra}
    answer = httpx.post(served.api + "/responses", json=body, timeout=30)
    assert answer.status_code in (200, 400), answer.text
    if answer.status_code == 400:
        assert set(answer.json()["error"]) == {"message", "type", "param", "code"}
    elif stream:
        assert answer.text.rstrip().splitlines()[-1].startswith('data: {"type":"response.')
        assert "event: error" not in answer.text
    else:
        assert answer.json()["object"] == "response"
