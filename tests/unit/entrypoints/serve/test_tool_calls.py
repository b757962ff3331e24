"""Tool calling through `chi-llm serve` with the official `openai` client, on the fake backend
scripted with calls: the whole flow (tools -> calls -> the function run -> `role: tool` result
-> the answer), streamed and whole, tool_choice reaching the backend, a backend that cannot call
tools refused before anything is generated, and a call the model wrote unreadably."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.serve import FAKE, Running, in_process
from tests.support.serve_clients import fake_backend as fake
from tests.support.serve_clients import openai_client as client

ASK: Any = [{"role": "user", "content": "What is the weather in Oslo?"}]
WEATHER: Any = {
    "type": "function",
    "function": {
        "name": "weather",
        "description": "The weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
NOW: Any = {"type": "function", "function": {"name": "now", "description": "The time."}}
OSLO = {"tool_calls": [{"name": "weather", "arguments": {"city": "Oslo"}, "id": "call_w"}]}


def weather(city: str) -> str:
    return f"12 C and rain in {city}"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Running]:
    with in_process(FAKE, tmp_path) as running:
        yield running


def test_the_whole_flow_calls_runs_and_answers(served: Running) -> None:
    fake(served).queue(OSLO, "It is 12 C and raining in Oslo.")
    api, messages = client(served), list(ASK)
    first = api.chat.completions.create(model="fake", messages=messages, tools=[WEATHER, NOW])
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    (call,) = choice.message.tool_calls or []
    assert call.type == "function" and call.id == "call_w" and call.function.name == "weather"
    result = weather(**json.loads(call.function.arguments))
    messages += [choice.message, {"role": "tool", "tool_call_id": call.id, "content": result}]
    final = api.chat.completions.create(model="fake", messages=messages, tools=[WEATHER, NOW])
    assert final.choices[0].finish_reason == "stop" and not final.choices[0].message.tool_calls
    assert final.choices[0].message.content == "It is 12 C and raining in Oslo."
    offered = fake(served).requests[0].options.tools
    assert offered is not None and [t.name for t in offered.tools] == ["weather", "now"]
    assert offered.tools[0].parameters == WEATHER["function"]["parameters"] and offered.choice == "auto"
    asked, answered = fake(served).requests[1].messages[-2:]
    assert asked.tool_calls[0].arguments == {"city": "Oslo"} and asked.tool_calls[0].id == "call_w"
    assert (answered.role, answered.tool_call_id, answered.name, answered.content) == (
        "tool",
        "call_w",
        "weather",
        "12 C and rain in Oslo",
    )


def test_the_streamed_flow_with_the_sdks_stream_helper(served: Running) -> None:
    fake(served).queue(OSLO, "Rainy, 12 C.")
    api, messages = client(served), list(ASK)
    with api.chat.completions.stream(model="fake", messages=messages, tools=[WEATHER]) as stream:
        events = list(stream)
        done = stream.get_final_completion()
    pieces = [e.arguments_delta for e in events if e.type == "tool_calls.function.arguments.delta"]
    assert "".join(pieces) == '{"city": "Oslo"}' and len([p for p in pieces if p]) == 3  # the fake's 3 pieces
    assert [e.type for e in events].count("tool_calls.function.arguments.done") == 1
    choice = done.choices[0]
    (call,) = choice.message.tool_calls or []
    assert choice.finish_reason == "tool_calls" and call.id == "call_w" and call.function.name == "weather"
    assert json.loads(call.function.arguments) == {"city": "Oslo"}
    messages += [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [call.model_dump(exclude={"function": {"parsed_arguments"}})],
        },
        {"role": "tool", "tool_call_id": call.id, "content": weather(**json.loads(call.function.arguments))},
    ]
    with api.chat.completions.stream(model="fake", messages=messages, tools=[WEATHER]) as stream:
        answer = stream.get_final_completion()
    assert answer.choices[0].message.content == "Rainy, 12 C." and answer.choices[0].finish_reason == "stop"
    assert fake(served).requests[-1].messages[-1].tool_call_id == "call_w"


def test_streamed_fragments_are_openais_shape(served: Running) -> None:
    two = {"tool_calls": [{"name": "weather", "arguments": {"city": "Oslo"}}, {"name": "now", "arguments": {}}]}
    fake(served).queue(two)
    chunks = list(
        client(served).chat.completions.create(
            model="fake", messages=ASK, tools=[WEATHER, NOW], stream=True, stream_options={"include_usage": True}
        )
    )
    first = chunks[0].choices[0].delta
    assert first.role == "assistant" and first.content is None and first.tool_calls is not None
    pieces = [p for c in chunks if c.choices for p in c.choices[0].delta.tool_calls or []]
    for index, name in ((0, "weather"), (1, "now")):
        mine = [p for p in pieces if p.index == index]
        opening, rest = mine[0], mine[1:]
        assert opening.id and opening.type == "function" and opening.function and opening.function.name == name
        assert all(p.id is None and p.type is None and p.function and p.function.name is None for p in rest)
        arguments = "".join(p.function.arguments or "" for p in mine if p.function)
        assert json.loads(arguments) == ({"city": "Oslo"} if name == "weather" else {})
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["tool_calls"]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    whole = client(served).chat.completions.create(model="fake", messages=ASK, tools=[WEATHER, NOW])
    assert whole.choices[0].message.content == "Echo: What is the weather in Oslo?"  # no calls scripted: text
    assert whole.choices[0].message.tool_calls is None and whole.choices[0].finish_reason == "stop"


def test_text_before_calls_is_kept_whole_and_streamed(served: Running) -> None:
    fake(served).queue({"content": "Let me look.", **OSLO}, {"content": "Let me look.", **OSLO})
    whole = client(served).chat.completions.create(model="fake", messages=ASK, tools=[WEATHER])
    assert whole.choices[0].message.content == "Let me look." and whole.choices[0].message.tool_calls
    chunks = list(client(served).chat.completions.create(model="fake", messages=ASK, tools=[WEATHER], stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Let me look."
    assert chunks[0].choices[0].delta.content == "Let"  # the first chunk opens with text, as without tools


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("required", "required"),
        ("none", "none"),
        ({"type": "function", "function": {"name": "now"}}, "now"),
    ],
)
def test_tool_choice_and_parallel_reach_the_backend(served: Running, choice: Any, expected: str) -> None:
    client(served).chat.completions.create(
        model="fake", messages=ASK, tools=[WEATHER, NOW], tool_choice=choice, parallel_tool_calls=False
    )
    tools = fake(served).requests[-1].options.tools
    assert tools is not None and tools.choice == expected and tools.parallel is False


def test_a_backend_that_cannot_call_tools_is_a_400_before_anything_is_generated(
    served: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fake(served), "calls_tools", lambda: False)
    history = [
        *ASK,
        {
            "role": "assistant",
            "tool_calls": [{"id": "c", "type": "function", "function": {"name": "weather", "arguments": "{}"}}],
        },
    ]
    history.append({"role": "tool", "tool_call_id": "c", "content": "12 C"})
    for stream in (False, True):
        for extra in (
            {"messages": ASK, "tools": [WEATHER]},
            {"messages": ASK, "tools": [WEATHER], "tool_choice": "none"},
            {"messages": history},
        ):
            with pytest.raises(openai.BadRequestError) as refused:
                client(served).chat.completions.create(model="fake", stream=stream, **extra)
            assert refused.value.code == "tools_unsupported" and refused.value.param == "tools"
            assert "call tools" in refused.value.message
    assert fake(served).requests == []
    plain = client(served).chat.completions.create(model="fake", messages=ASK)  # without tools, as ever
    assert plain.choices[0].message.content == "Echo: What is the weather in Oslo?"


def test_a_call_the_model_wrote_unreadably_is_a_502_whole_and_passed_on_streamed(served: Running) -> None:
    broken = {"tool_calls": [{"name": "weather", "arguments": '{"city": Oslo'}]}
    fake(served).queue(broken, broken)
    with pytest.raises(openai.InternalServerError) as failed:
        client(served).chat.completions.create(model="fake", messages=ASK, tools=[WEATHER])
    assert failed.value.status_code == 502 and failed.value.code == "invalid_tool_call"
    assert "weather" in failed.value.message and "not JSON" in failed.value.message
    chunks = list(client(served).chat.completions.create(model="fake", messages=ASK, tools=[WEATHER], stream=True))
    pieces = [p for c in chunks for p in c.choices[0].delta.tool_calls or []]
    assert (
        "".join(p.function.arguments or "" for p in pieces if p.function) == '{"city": Oslo'
    )  # as OpenAI: yours to check


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
CALL: Any = {"id": "c1", "type": "function", "function": {"name": "weather", "arguments": '{"city": "x"}'}}
turns = st.sampled_from(
    [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": None, "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "c1", "content": "12 C"},
        {"role": "assistant", "content": "ok"},
    ]
) | st.dictionaries(st.sampled_from(["role", "content", "tool_calls", "tool_call_id"]), json_values, max_size=4)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(
    messages=st.lists(turns, min_size=1, max_size=4),
    tools=st.sampled_from([[WEATHER], [WEATHER, NOW], []]) | json_values,
    choice=st.sampled_from(["auto", "none", "required", {"type": "function", "function": {"name": "weather"}}])
    | json_values,
    stream=st.booleans(),
)
def test_any_tool_request_is_an_answer_or_a_400_never_a_500(
    served: Running, messages: Any, tools: Any, choice: Any, stream: bool
) -> None:
    body = {"model": "fake", "messages": messages, "tools": tools, "tool_choice": choice, "stream": stream}
    answer = httpx.post(served.api + "/chat/completions", json=body, timeout=30)
    assert answer.status_code in (200, 400), answer.text
    if answer.status_code == 400:
        assert set(answer.json()["error"]) == {"message", "type", "param", "code"}
    elif stream:
        assert answer.text.rstrip().endswith("data: [DONE]") and '"error"' not in answer.text
