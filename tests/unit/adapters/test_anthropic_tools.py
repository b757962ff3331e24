"""Anthropic Messages tool use on the wire (docs.anthropic.com, tool use): exact shapes."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chi_llm.adapters.providers import anthropic, anthropic_tools
from chi_llm.adapters.providers.anthropic_tools import CallReader
from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.generation import GenerationOptions, GenerationRequest
from chi_llm.domain.messages import Message
from chi_llm.domain.structured import OutputSchema
from chi_llm.domain.tools import Tool, ToolCall, ToolCallDelta, ToolSet, assemble

WEATHER = Tool(
    name="weather",
    description="Weather in a city",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
CLOCK = Tool(name="clock")


def payload(tools: ToolSet, *messages: Message) -> dict:  # type: ignore[type-arg]
    turns = messages or (Message(role="user", content="Weather in Oslo?"),)
    request = GenerationRequest(messages=turns, model="m", options=GenerationOptions(tools=tools))
    return anthropic.to_payload(request, stream=False)


def test_tools_carry_their_input_schema_and_choice_auto() -> None:
    body = payload(ToolSet(tools=(WEATHER, CLOCK)))
    assert body["tools"] == [
        {
            "name": "weather",
            "description": "Weather in a city",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
        {"name": "clock", "input_schema": {"type": "object", "properties": {}}},
    ]
    assert body["tool_choice"] == {"type": "auto"}


@pytest.mark.parametrize(
    ("choice", "parallel", "wire"),
    [
        ("required", None, {"type": "any"}),
        ("none", None, {"type": "none"}),
        ("clock", None, {"type": "tool", "name": "clock"}),
        ("auto", False, {"type": "auto", "disable_parallel_tool_use": True}),
        ("required", False, {"type": "any", "disable_parallel_tool_use": True}),
        ("weather", False, {"type": "tool", "name": "weather", "disable_parallel_tool_use": True}),
        ("none", False, {"type": "none"}),
        ("auto", True, {"type": "auto"}),
    ],
)
def test_tool_choice_and_parallel(choice: str, parallel: bool | None, wire: dict) -> None:  # type: ignore[type-arg]
    assert payload(ToolSet(tools=(WEATHER, CLOCK), choice=choice, parallel=parallel))["tool_choice"] == wire


def test_calls_and_results_become_tool_use_and_merged_tool_result_blocks() -> None:
    calls = (
        ToolCall(id="toolu_1", name="weather", arguments={"city": "Oslo"}),
        ToolCall(id="toolu_2", name="clock", arguments={}),
    )
    body = payload(
        ToolSet(tools=(WEATHER, CLOCK)),
        Message(role="system", content="Be brief."),
        Message(role="user", content="Weather and time?"),
        Message(role="assistant", content="Looking.", tool_calls=calls),
        Message(role="tool", content="-3 C", tool_call_id="toolu_1", name="weather"),
        Message(role="tool", content="clock broke", tool_call_id="toolu_2", is_error=True),
        Message(role="user", content="And?"),
    )
    assert body["system"] == "Be brief."
    assert body["messages"] == [
        {"role": "user", "content": "Weather and time?"},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Looking."},
                {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Oslo"}},
                {"type": "tool_use", "id": "toolu_2", "name": "clock", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "-3 C"},
                {"type": "tool_result", "tool_use_id": "toolu_2", "content": "clock broke", "is_error": True},
                {"type": "text", "text": "And?"},
            ],
        },
    ]


def test_an_assistant_call_without_text_has_only_tool_use_blocks() -> None:
    call = ToolCall(id="toolu_1", name="clock", arguments={})
    body = payload(
        ToolSet(tools=(CLOCK,)),
        Message(role="user", content="Time?"),
        Message(role="assistant", content="", tool_calls=(call,)),
        Message(role="tool", content="noon", tool_call_id="toolu_1"),
    )
    assert body["messages"][1] == {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": "toolu_1", "name": "clock", "input": {}}],
    }


def test_schema_and_tools_together_are_refused_clearly() -> None:
    options = GenerationOptions(
        tools=ToolSet(tools=(CLOCK,)), schema=OutputSchema.of({"type": "object", "properties": {}})
    )
    request = GenerationRequest(messages=(Message(role="user", content="x"),), model="m", options=options)
    with pytest.raises(InvalidRequest, match="both a schema and tools"):
        anthropic.to_payload(request, stream=False)


def test_a_whole_answer_with_tool_use_blocks_is_calls() -> None:
    body = {
        "content": [
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_a", "name": "weather", "input": {"city": "Ørsta"}},
            {"type": "tool_use", "id": "toolu_b", "name": "clock", "input": {}},
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 9, "output_tokens": 4},
    }
    event = anthropic.parse_response(body, calls=True)
    assert (event.text, event.finish) == ("Checking.", "tool_calls")
    assert assemble(event.tool_calls) == (
        ToolCall(id="toolu_a", name="weather", arguments={"city": "Ørsta"}, raw='{"city": "Ørsta"}'),
        ToolCall(id="toolu_b", name="clock", arguments={}, raw="{}"),
    )
    forced = anthropic.parse_response(body)  # no tools offered: the forced schema tool's input is the text
    assert forced.tool_calls == () and forced.finish == "stop" and '"city"' in forced.text


def test_a_stream_of_blocks_and_input_json_deltas_is_numbered_calls() -> None:
    read = CallReader().reading(lambda name, data: anthropic.parse_event(name, data, calls=True))
    frames: list[dict[str, Any]] = [
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hm."}},
        {
            "type": "content_block_start",
            "index": 1,
            "content_block": {"type": "tool_use", "id": "toolu_a", "name": "weather", "input": {}},
        },
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": ""}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": '{"ci'}},
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": 'ty": "Oslo"}'},
        },
        {"type": "content_block_stop", "index": 1},
        {
            "type": "content_block_start",
            "index": 2,
            "content_block": {"type": "tool_use", "id": "toolu_b", "name": "clock", "input": {}},
        },
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 12}},
    ]
    events = [read(f["type"], f) for f in frames]
    deltas = [d for e in events if e is not None for d in e.tool_calls]
    assert deltas[0] == ToolCallDelta(index=0, id="toolu_a", name="weather", arguments="")
    assert deltas[2] == ToolCallDelta(index=0, arguments='{"ci')
    assert deltas[-1] == ToolCallDelta(index=1, id="toolu_b", name="clock", arguments="")
    assert [c.arguments for c in assemble(deltas)] == [{"city": "Oslo"}, {}]
    assert "".join(e.text for e in events if e is not None) == "Hm."
    assert events[-1] is not None and events[-1].finish == "tool_calls"


@given(
    arguments=st.dictionaries(st.text(max_size=6), st.one_of(st.integers(), st.text(max_size=8)), max_size=4),
    cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=6),
)
def test_any_split_of_the_input_json_assembles_as_the_whole_answer(arguments: dict[str, Any], cuts: list[int]) -> None:
    whole = {"content": [{"type": "tool_use", "id": "toolu_x", "name": "weather", "input": arguments}]}
    expected = assemble(anthropic.parse_response({**whole, "stop_reason": "tool_use"}, calls=True).tool_calls)
    text = json.dumps(arguments, ensure_ascii=False)
    bounds = sorted({0, len(text), *(c for c in cuts if c < len(text))})
    read = CallReader().reading(lambda name, data: anthropic.parse_event(name, data, calls=True))
    block = {"type": "tool_use", "id": "toolu_x", "name": "weather", "input": {}}
    frames: list[dict[str, Any]] = [{"type": "content_block_start", "index": 0, "content_block": block}]
    for start, end in itertools.pairwise(bounds):
        delta = {"type": "input_json_delta", "partial_json": text[start:end]}
        frames.append({"type": "content_block_delta", "index": 0, "delta": delta})
    events = [read(f["type"], f) for f in frames]
    assert assemble([d for e in events if e is not None for d in e.tool_calls]) == expected


CALLED = (
    Message(role="user", content="Weather in Oslo?"),
    Message(
        role="assistant",
        content="",
        tool_calls=(ToolCall(id="toolu_1", name="weather", arguments={"city": "Oslo"}, raw='{"city": "Oslo"}'),),
    ),
    Message(role="tool", content="sunny", tool_call_id="toolu_1"),
    Message(role="user", content="Thanks. And tomorrow?"),
)


def test_history_with_tool_blocks_but_no_tools_declares_the_used_ones_and_forbids_calls() -> None:
    # Anthropic refuses tool_use/tool_result blocks in a request without their tool definitions.
    request = GenerationRequest(messages=CALLED, model="m", options=GenerationOptions())
    body = anthropic.to_payload(request, stream=False)
    assert body["tools"] == [
        {"name": "weather", "description": anthropic_tools.RETIRED, "input_schema": {"type": "object"}}
    ]
    assert body["tool_choice"] == {"type": "none"}


def test_tools_used_in_history_but_no_longer_offered_are_declared_too() -> None:
    body = payload(ToolSet(tools=(CLOCK,)), *CALLED)
    assert [t["name"] for t in body["tools"]] == ["clock", "weather"]
    assert body["tool_choice"] == {"type": "auto"}


def test_a_schema_after_tool_turns_keeps_its_forced_tool_and_declares_the_used_ones() -> None:
    schema = OutputSchema.of({"type": "object", "properties": {}}, name="answer")
    request = GenerationRequest(messages=CALLED, model="m", options=GenerationOptions(schema=schema))
    body = anthropic.to_payload(request, stream=False)
    assert [t["name"] for t in body["tools"]] == ["answer", "weather"]
    assert body["tool_choice"] == {"type": "tool", "name": "answer"}
