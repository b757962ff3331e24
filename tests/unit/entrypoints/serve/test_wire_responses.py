"""The Responses API's request mapping (`wire_responses`): input items to domain messages,
options, text.format to the schema chat completions enforce, function tools and tool_choice;
what needs stored state, built-in tools and media refused with a 400 that says so."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chi_llm.entrypoints.server.errors import HttpError
from chi_llm.entrypoints.server.wire_responses import responses_request

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
WEATHER: Any = {"type": "function", "name": "weather", "description": "The weather.", "parameters": SCHEMA}
CALL = {"type": "function_call", "id": "fc_1", "call_id": "c1", "name": "weather", "arguments": '{"city": "Oslo"}'}


def refused(body: Any) -> HttpError:
    with pytest.raises(HttpError) as error:
        responses_request(body)
    assert error.value.status == 400
    return error.value


def test_a_string_input_with_instructions_and_options() -> None:
    read = responses_request(
        {
            "model": "m",
            "input": "hi",
            "instructions": "be brief",
            "max_output_tokens": 5,
            "temperature": 0.2,
            "top_p": 0.9,
            "stream": True,
            "store": True,
            "metadata": {"k": "v"},
            "user": "u",
            "reasoning": {"effort": "low"},
            "truncation": "auto",
            "include": [],
            "service_tier": "auto",
        }
    )
    parsed = read.parsed
    assert [(m.role, m.content) for m in parsed.messages] == [("system", "be brief"), ("user", "hi")]
    assert (parsed.model, parsed.stream) == ("m", True)
    assert (parsed.options.max_tokens, parsed.options.temperature, parsed.options.top_p) == (5, 0.2, 0.9)
    assert read.echo["metadata"] == {"k": "v"} and read.echo["max_output_tokens"] == 5
    assert read.echo["text"] == {"format": {"type": "text"}} and read.echo["tool_choice"] == "auto"


def test_message_items_with_parts_and_roles() -> None:
    parsed = responses_request(
        {
            "input": [
                {"role": "developer", "content": "rules"},
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "a"}]},
                {
                    "type": "message",
                    "id": "msg_1",
                    "status": "completed",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": "b", "annotations": []}],
                },
                {"type": "reasoning", "id": "rs_1", "summary": []},
                {"role": "user", "content": [{"type": "input_text", "text": "c"}, {"type": "input_text", "text": "d"}]},
            ]
        }
    ).parsed
    assert [(m.role, m.content) for m in parsed.messages] == [
        ("system", "rules"),
        ("user", "a"),
        ("assistant", "b"),
        ("user", "c\nd"),
    ]


def test_function_calls_and_their_outputs_become_tool_turns() -> None:
    second = {**CALL, "call_id": "c2", "arguments": '{"city": "Bergen"}'}
    parsed = responses_request(
        {
            "input": [
                {"role": "user", "content": "weather?"},
                {"role": "assistant", "content": "Looking."},
                CALL,
                second,
                {"type": "function_call_output", "call_id": "c1", "output": "12 C"},
                {"type": "function_call_output", "call_id": "c2", "output": [{"type": "input_text", "text": "9 C"}]},
            ],
            "tools": [WEATHER],
        }
    ).parsed
    _user, asked, first, last = parsed.messages
    assert asked.role == "assistant" and asked.content == "Looking."  # the text and its calls: one turn
    assert [(c.id, c.name, dict(c.arguments)) for c in asked.tool_calls] == [
        ("c1", "weather", {"city": "Oslo"}),
        ("c2", "weather", {"city": "Bergen"}),
    ]
    assert (first.role, first.tool_call_id, first.name, first.content) == ("tool", "c1", "weather", "12 C")
    assert (last.tool_call_id, last.content) == ("c2", "9 C")


def test_text_format_json_schema_is_the_schema_chat_completions_enforce() -> None:
    fmt = {"type": "json_schema", "name": "place", "schema": SCHEMA, "strict": True}
    read = responses_request({"input": "x", "text": {"format": fmt}})
    options = read.parsed.options
    assert options.json and options.schema is not None and options.schema.name == "place"
    assert options.schema.value == SCHEMA
    assert read.echo["text"] == {"format": fmt}
    assert responses_request({"input": "x", "text": {"format": {"type": "json_object"}}}).parsed.options.json
    plain = responses_request({"input": "x", "text": {"format": {"type": "text"}, "verbosity": "low"}})
    assert not plain.parsed.options.json


def test_function_tools_and_tool_choice() -> None:
    now = {"type": "function", "name": "now"}
    read = responses_request(
        {
            "input": "x",
            "tools": [WEATHER, now],
            "tool_choice": {"type": "function", "name": "now"},
            "parallel_tool_calls": False,
        }
    )
    tools = read.parsed.options.tools
    assert tools is not None and [t.name for t in tools.tools] == ["weather", "now"]
    assert tools.tools[0].parameters == SCHEMA and tools.tools[0].description == "The weather."
    assert (tools.choice, tools.parallel) == ("now", False)
    assert read.echo["tools"] == [WEATHER, now] and read.echo["parallel_tool_calls"] is False
    for choice in ("auto", "none", "required"):
        chosen = responses_request({"input": "x", "tools": [WEATHER], "tool_choice": choice}).parsed.options.tools
        assert chosen is not None and chosen.choice == choice


def test_state_the_server_does_not_keep_is_refused_saying_so() -> None:
    error = refused({"input": "x", "previous_response_id": "resp_1"})
    assert error.param == "previous_response_id"
    assert "keeps no responses" in error.message and "whole conversation in input" in error.message
    assert "stored" in refused({"input": "x", "conversation": "conv_1"}).message
    assert "stored" in refused({"input": "x", "background": True}).message
    assert "stored" in refused({"input": [{"type": "item_reference", "id": "msg_1"}]}).message
    answer = refused({"input": [{"type": "function_call_output", "call_id": "c9", "output": "x"}]})
    assert "answers no earlier call" in answer.message and answer.param == "input"


@pytest.mark.parametrize(
    "tool",
    [
        {"type": "web_search"},
        {"type": "web_search_preview"},
        {"type": "file_search", "vector_store_ids": ["v"]},
        {"type": "code_interpreter", "container": {"type": "auto"}},
        {"type": "computer_use_preview"},
        {"type": "image_generation"},
        {"type": "mcp", "server_label": "s"},
    ],
)
def test_built_in_tools_are_left_out_and_said_but_cannot_be_required(tool: Any) -> None:
    """Codex sends web_search (and more) with every request: refusing them refused Codex."""
    read = responses_request({"input": "x", "tools": [WEATHER, tool]})
    assert read.ignored == (tool["type"],)
    offered = read.parsed.options.tools
    assert offered is not None and [t.name for t in offered.tools] == ["weather"]
    assert read.echo["tools"] == [WEATHER]
    alone = responses_request({"input": "x", "tools": [tool]})
    assert alone.parsed.options.tools is None and alone.ignored == (tool["type"],)
    choice = refused({"input": "x", "tools": [WEATHER], "tool_choice": {"type": tool["type"]}})
    assert "built-in tools are not available here" in choice.message


@pytest.mark.parametrize("kind", ["input_image", "input_file", "input_audio"])
def test_images_files_and_audio_are_refused(kind: str) -> None:
    error = refused({"input": [{"role": "user", "content": [{"type": kind, "image_url": "data:,"}]}]})
    assert kind in error.message and "not supported" in error.message and error.param == "input"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({}, "input must be a string or a non-empty list"),
        ({"input": []}, "input must be a string or a non-empty list"),
        ({"input": [{"role": "robot", "content": "x"}]}, "input[0].role"),
        ({"input": [{"type": "web_search_call", "id": "w"}]}, "built-in tools"),
        ({"input": [{**CALL, "arguments": "{nope"}]}, "input[0].arguments not JSON"),
        ({"input": [CALL, CALL]}, "given to two calls"),
        ({"input": "x", "instructions": 3}, "instructions must be a string"),
        ({"input": "x", "max_output_tokens": 0}, "max_output_tokens must be a whole number of at least 1"),
        ({"input": "x", "temperature": "hot"}, "temperature must be a number"),
        ({"input": "x", "text": {"format": {"type": "xml"}}}, "text.format.type must be"),
        ({"input": "x", "text": {"format": {"type": "json_schema"}}}, "text.format.schema"),
        ({"input": "x", "tools": [{"type": "function", "name": "bad name"}]}, "tools[0]: tool name"),
        ({"input": "x", "tools": [{**WEATHER, "parameters": {"type": 3}}]}, "tools[0].parameters is not a valid"),
        ({"input": "x", "tools": [WEATHER], "tool_choice": {"type": "function"}}, 'tool_choice must be "auto"'),
        ({"input": "x", "tool_choice": "required"}, "needs tools"),
        ({"input": "x", "top_logprobs": 2}, "logprobs are not supported"),
        (
            {"input": "x", "tools": [WEATHER], "tool_choice": {"type": "allowed_tools", "mode": "auto", "tools": []}},
            "send only the tools the model may call",
        ),
    ],
)
def test_mistakes_are_a_400_naming_the_field(body: Any, says: str) -> None:
    assert says in refused(body).message


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
items = st.sampled_from(
    [{"role": "user", "content": "hi"}, CALL, {"type": "function_call_output", "call_id": "c1", "output": "ok"}]
) | st.dictionaries(st.sampled_from(["type", "role", "content", "call_id", "name", "arguments", "output"]), json_values)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.dictionaries(
        st.sampled_from(
            [
                *("model", "input", "instructions", "max_output_tokens", "temperature", "text", "tools"),
                *("tool_choice", "stream", "previous_response_id", "parallel_tool_calls", "metadata", "store"),
            ]
        ),
        json_values | st.lists(items, max_size=4),
    )
)
def test_any_json_body_is_read_or_refused_with_a_400(body: dict[str, Any]) -> None:
    json.dumps(body)  # only what a client could send
    refused: HttpError | None = None
    try:
        read = responses_request(body)
    except HttpError as error:
        refused = error
    if refused is not None:
        assert refused.status == 400 and refused.message
    else:
        assert read.parsed.messages and json.dumps(read.echo)


def test_an_image_earlier_in_the_input_stands_as_a_note_and_in_the_last_message_is_refused() -> None:
    from chi_llm.entrypoints.server.wire import MEDIA_OMITTED

    image = {"type": "input_image", "image_url": "data:image/png;base64,AAAA"}
    call = {"type": "function_call", "call_id": "c1", "name": "view", "arguments": "{}"}
    shown = {"type": "function_call_output", "call_id": "c1", "output": [image]}
    items = [{"role": "user", "content": [image, {"type": "input_text", "text": "look"}]}, call, shown]
    parsed = responses_request({"model": "m", "input": items}).parsed
    assert parsed.messages[0].content == f"{MEDIA_OMITTED}\nlook"
    assert parsed.messages[-1].role == "tool" and parsed.messages[-1].content == MEDIA_OMITTED
    with pytest.raises(HttpError, match="input_image is not supported"):
        responses_request({"model": "m", "input": [{"role": "user", "content": [image]}]})
