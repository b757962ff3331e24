"""OpenAI's tool fields read into domain values: `tools`, `tool_choice`, `parallel_tool_calls`,
an assistant's `tool_calls` and `role: tool` results; every mistake a 400 naming the field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chi_llm.domain.tools import ToolCall
from chi_llm.entrypoints.server import wire
from chi_llm.entrypoints.server.errors import HttpError

USER = [{"role": "user", "content": "weather in Oslo?"}]
WEATHER: Any = {
    "type": "function",
    "function": {
        "name": "weather",
        "description": "The weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
NOW: Any = {"type": "function", "function": {"name": "now"}}  # no parameters: a tool without arguments
CALL: Any = {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": '{"city": "Oslo"}'}}


def refused(body: Any) -> HttpError:
    with pytest.raises(HttpError) as error:
        wire.chat_request(body)
    assert error.value.status == 400
    return error.value


def test_tools_choice_and_parallel_become_the_tool_set() -> None:
    parsed = wire.chat_request({"messages": USER, "tools": [WEATHER, NOW], "parallel_tool_calls": False})
    tools = parsed.options.tools
    assert tools is not None and [t.name for t in tools.tools] == ["weather", "now"]
    assert tools.tools[0].description == "The weather in a city."
    assert tools.tools[0].parameters == WEATHER["function"]["parameters"]
    assert tools.tools[1].parameters == {"type": "object", "properties": {}}
    assert (tools.choice, tools.parallel) == ("auto", False)
    for choice, expected in [
        ("none", "none"),
        ("required", "required"),
        ("auto", "auto"),
        ({"type": "function", "function": {"name": "now"}}, "now"),
    ]:
        chosen = wire.chat_request({"messages": USER, "tools": [WEATHER, NOW], "tool_choice": choice}).options.tools
        assert chosen is not None and chosen.choice == expected and chosen.parallel is None


def test_a_request_without_tools_has_none() -> None:
    """Fields that were ignored without tools still are (requests without tools behave as before)."""
    assert wire.chat_request({"messages": USER}).options.tools is None
    ignored_fields: list[dict[str, Any]] = [{"function_call": "auto"}, {"functions": []}, {"parallel_tool_calls": "x"}]
    for ignored in ignored_fields:
        assert wire.chat_request({"messages": USER, **ignored}).options.tools is None
    prompt_fields: list[dict[str, Any]] = [
        {"tool_choice": "auto"},
        {"tools": []},
        {"function_call": "none"},
        {"parallel_tool_calls": True},
    ]
    for prompt in prompt_fields:
        assert wire.completion_request({"prompt": "x", **prompt}).prompt == "x"
    assert wire.chat_request({"messages": USER, "tools": [], "tool_choice": "auto"}).options.tools is None
    assert wire.chat_request({"messages": USER, "tools": None, "tool_choice": "none"}).options.tools is None


@pytest.mark.parametrize(
    ("extra", "fragment", "param"),
    [
        ({"tools": WEATHER}, "tools must be a list", "tools"),
        ({"tools": [{"type": "web_search"}]}, "only function tools are supported", "tools"),
        ({"tools": [{"type": "custom", "custom": {"name": "x"}}]}, "only function tools are supported", "tools"),
        ({"tools": ["weather"]}, "tools[0] must be an object", "tools"),
        ({"tools": [{"type": "function"}]}, "tools[0].function must be an object", "tools"),
        ({"tools": [{"type": "function", "function": {"name": 3}}]}, "tools[0].function.name", "tools"),
        ({"tools": [{"type": "function", "function": {"name": "a b"}}]}, "is not allowed", "tools"),
        ({"tools": [{"type": "function", "function": {"name": "x", "description": 1}}]}, "description", "tools"),
        ({"tools": [{"type": "function", "function": {"name": "x", "parameters": []}}]}, "parameters", "tools"),
        (
            {"tools": [{"type": "function", "function": {"name": "x", "parameters": {"type": "string"}}}]},
            "type 'object'",
            "tools",
        ),
        (
            {
                "tools": [
                    {"type": "function", "function": {"name": "x", "parameters": {"type": "object", "properties": 1}}}
                ]
            },
            "not a valid JSON Schema",
            "tools",
        ),
        ({"tools": [WEATHER, WEATHER]}, "given twice: weather", "tools"),
        ({"tools": [WEATHER] * 129}, "at most 128", "tools"),
        ({"tools": [WEATHER], "tool_choice": "sometimes"}, "tool_choice must be", "tool_choice"),
        (
            {"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "nope"}}},
            "nope",
            "tool_choice",
        ),
        ({"tools": [WEATHER], "tool_choice": {"type": "allowed_tools"}}, "tool_choice must be", "tool_choice"),
        (
            {"tools": [WEATHER], "tool_choice": {"type": "function", "function": {}}},
            "tool_choice must be",
            "tool_choice",
        ),
        ({"tool_choice": "required"}, "needs tools", "tool_choice"),
        ({"tool_choice": {"type": "function", "function": {"name": "weather"}}}, "needs tools", "tool_choice"),
        (
            {"tools": [WEATHER], "parallel_tool_calls": "yes"},
            "parallel_tool_calls must be true or false",
            "parallel_tool_calls",
        ),
        ({"functions": [WEATHER["function"]]}, "send tools and tool_choice", "functions"),
    ],
)
def test_bad_tools_are_400_naming_the_field(extra: dict[str, Any], fragment: str, param: str) -> None:
    error = refused({"messages": USER, **extra})
    assert fragment in error.message and error.param == param


def test_history_with_calls_and_results() -> None:
    history = [
        *USER,
        {"role": "assistant", "content": None, "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "call_1", "content": [{"type": "text", "text": "12 C"}]},
        {"role": "assistant", "content": "12 C in Oslo."},
    ]
    parsed = wire.chat_request({"messages": history, "tools": [WEATHER]})
    _, asked, result, answer = parsed.messages
    assert asked.role == "assistant" and asked.content == ""
    assert asked.tool_calls == (
        ToolCall(id="call_1", name="weather", arguments={"city": "Oslo"}, raw=CALL["function"]["arguments"]),
    )
    assert (result.role, result.tool_call_id, result.name, result.content) == ("tool", "call_1", "weather", "12 C")
    assert answer.content == "12 C in Oslo." and not answer.tool_calls


def test_a_history_with_calls_needs_no_tools_offered_now() -> None:
    history = [
        *USER,
        {"role": "assistant", "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "call_1", "content": "x"},
    ]
    parsed = wire.chat_request({"messages": history})
    assert parsed.options.tools is None and parsed.messages[1].tool_calls[0].name == "weather"


def with_call(**function: Any) -> list[Any]:
    call = {"id": "c", "type": "function", "function": {"name": "weather", **function}}
    return [*USER, {"role": "assistant", "content": None, "tool_calls": [call]}]


@pytest.mark.parametrize(
    ("messages", "fragment"),
    [
        (with_call(arguments="{city: Oslo}"), "messages[1].tool_calls[0].function.arguments"),
        (with_call(arguments="[1, 2]"), "not a JSON object"),
        (with_call(arguments={"city": "Oslo"}), "arguments must be the JSON text"),
        (with_call(arguments="[" * 100_000 + "]" * 100_000), "nested too deeply"),
        (with_call(), "arguments must be the JSON text"),
        ([*USER, {"role": "assistant", "tool_calls": {"id": "c"}}], "tool_calls must be a list"),
        ([*USER, {"role": "assistant", "tool_calls": ["c"]}], "tool_calls[0] must be an object"),
        ([*USER, {"role": "assistant", "tool_calls": [{**CALL, "type": "custom"}]}], "only function tool calls"),
        ([*USER, {"role": "assistant", "tool_calls": [{**CALL, "id": ""}]}], "tool_calls[0].id"),
        ([*USER, {"role": "assistant", "tool_calls": [{**CALL, "function": "weather"}]}], "tool_calls[0].function"),
        ([*USER, {"role": "assistant", "tool_calls": [{**CALL, "function": {"arguments": "{}"}}]}], "function.name"),
        ([*USER, {"role": "assistant", "tool_calls": [CALL, CALL]}], "tool_calls[1].id 'call_1' is given twice"),
        ([*USER, {"role": "tool", "content": "12 C"}], "messages[1].tool_call_id"),
        ([*USER, {"role": "tool", "tool_call_id": 5, "content": "12 C"}], "messages[1].tool_call_id"),
        ([*USER, {"role": "tool", "tool_call_id": "call_9", "content": "12 C"}], "answers no earlier call"),
        (
            [{"role": "function", "name": "weather", "content": "12 C"}],
            "role must be system, developer, user, assistant or tool",
        ),
    ],
)
def test_bad_tool_turns_are_400_saying_which(messages: list[Any], fragment: str) -> None:
    error = refused({"messages": messages})
    assert fragment in error.message and error.param == "messages"


def test_completions_take_no_tools() -> None:
    with pytest.raises(HttpError, match="tools belong to /v1/chat/completions"):
        wire.completion_request({"prompt": "x", "tools": [WEATHER]})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
names = st.sampled_from(["weather", "now", "a b", ""]) | st.text(max_size=6)
functions = st.fixed_dictionaries(
    {},
    optional={
        "name": names | json_values,
        "description": st.text(max_size=6) | json_values,
        "parameters": st.sampled_from([{"type": "object"}, {"type": "nope"}, {}]) | json_values,
        "strict": json_values,
    },
)
tools = st.fixed_dictionaries(
    {"type": st.sampled_from(["function", "custom"]) | json_values, "function": functions | json_values}
)
calls = st.fixed_dictionaries(
    {},
    optional={
        "id": st.sampled_from(["call_1", ""]) | json_values,
        "type": st.sampled_from(["function"]) | json_values,
        "function": st.fixed_dictionaries(
            {},
            optional={"name": names | json_values, "arguments": st.sampled_from(['{"a": 1}', "{", "[]"]) | json_values},
        )
        | json_values,
    },
)
turns = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant", "tool", "system", "function"]) | json_values},
    optional={
        "content": st.none() | st.text(max_size=6) | json_values,
        "tool_calls": st.lists(calls, max_size=2) | json_values,
        "tool_call_id": st.sampled_from(["call_1", "x"]) | json_values,
    },
)


@settings(suppress_health_check=[HealthCheck.too_slow])  # generation slows on a loaded machine, not the test
@given(
    messages=st.lists(turns, max_size=4) | json_values,
    tool_list=st.lists(tools, max_size=3) | json_values,
    choice=st.sampled_from(["auto", "none", "required", {"type": "function", "function": {"name": "weather"}}])
    | json_values,
    parallel=json_values,
)
def test_any_tool_fields_are_parsed_or_refused_with_a_400(
    messages: Any, tool_list: Any, choice: Any, parallel: Any
) -> None:
    body = {"messages": messages, "tools": tool_list, "tool_choice": choice, "parallel_tool_calls": parallel}
    json.dumps(body)  # only what a client could send
    refused: HttpError | None = None
    try:
        wire.chat_request(body)
    except HttpError as error:
        refused = error
    assert refused is None or (refused.status == 400 and refused.message)
