"""Gemini function calling on the wire (ai.google.dev, function calling): exact shapes."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chi_llm.adapters.providers import gemini
from chi_llm.adapters.providers.http.framing import Frame
from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.generation import GenerationOptions, GenerationRequest
from chi_llm.domain.messages import Message
from chi_llm.domain.tools import Tool, ToolCall, ToolCallDelta, ToolSet, assemble

WEATHER = Tool(
    name="weather",
    description="Weather in a city",
    parameters={
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"enum": ["C", "F"]}},
        "required": ["city"],
        "additionalProperties": False,
    },
)
CLOCK = Tool(name="clock")


def payload(tools: ToolSet, *messages: Message, **options: object) -> dict:  # type: ignore[type-arg]
    turns = messages or (Message(role="user", content="Weather in Oslo?"),)
    request = GenerationRequest(messages=turns, model="m", options=GenerationOptions(tools=tools, **options))  # type: ignore[arg-type]
    return gemini.to_payload(request)


def test_function_declarations_in_gemini_dialect_and_mode_auto() -> None:
    body = payload(ToolSet(tools=(WEATHER, CLOCK)))
    assert body["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "weather",
                    "description": "Weather in a city",
                    "parameters": {
                        "type": "object",
                        "properties": {"city": {"type": "string"}, "unit": {"enum": ["C", "F"]}},
                        "required": ["city"],
                    },
                },
                {"name": "clock"},  # no properties: no parameters (Gemini refuses an empty object)
            ]
        }
    ]
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "AUTO"}}


@pytest.mark.parametrize(
    ("choice", "config"),
    [
        ("required", {"mode": "ANY"}),
        ("none", {"mode": "NONE"}),
        ("clock", {"mode": "ANY", "allowedFunctionNames": ["clock"]}),
    ],
)
def test_function_calling_config(choice: str, config: dict) -> None:  # type: ignore[type-arg]
    assert payload(ToolSet(tools=(WEATHER, CLOCK), choice=choice))["toolConfig"]["functionCallingConfig"] == config


def test_json_schema_spellings_become_gemini_ones() -> None:
    schema = {
        "type": "object",
        "$defs": {"Place": {"type": "object", "properties": {"name": {"type": "string"}}}},
        "properties": {
            "place": {"$ref": "#/$defs/Place", "description": "where"},
            "note": {"type": ["string", "null"]},
            "kind": {"const": "city"},
            "size": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
            "level": {"type": "integer", "enum": [1, 2]},
            "when": {"type": "string", "format": "date-time"},
            "site": {"type": "string", "format": "uri"},
            "count": {"type": "integer", "format": "int64"},
        },
    }
    body = payload(ToolSet(tools=(Tool(name="find", parameters=schema),)))
    assert body["tools"][0]["functionDeclarations"][0]["parameters"] == {
        "type": "object",
        "properties": {
            "place": {"type": "object", "properties": {"name": {"type": "string"}}, "description": "where"},
            "note": {"type": "string", "nullable": True},
            "kind": {"enum": ["city"]},
            "size": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
            "level": {"type": "integer", "enum": ["1", "2"]},
            "when": {"type": "string", "format": "date-time"},
            "site": {"type": "string"},  # a format the Gemini API does not know is left out
            "count": {"type": "integer", "format": "int64"},
        },
    }


@pytest.mark.parametrize(
    ("fragment", "message"),
    [
        ({"allOf": [{"type": "string"}]}, "no allOf"),
        ({"$ref": "#/$defs/Node"}, "recursive"),
        ({"$ref": "https://example.com/x.json"}, "cannot follow"),
    ],
)
def test_what_gemini_cannot_express_is_refused_naming_the_tool(fragment: dict, message: str) -> None:  # type: ignore[type-arg]
    schema = {
        "type": "object",
        "$defs": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}},
        "properties": {"x": fragment},
    }
    with pytest.raises(InvalidRequest, match=f"tool 'odd'.*{message}"):
        payload(ToolSet(tools=(Tool(name="odd", parameters=schema),)))


def test_json_mode_with_tools_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="JSON mode while it may call tools"):
        payload(ToolSet(tools=(CLOCK,)), json=True)


def test_calls_and_results_become_function_call_and_merged_function_response_parts() -> None:
    calls = (
        ToolCall(id="call_0_ab", name="weather", arguments={"city": "Oslo"}),
        ToolCall(id="call_1_cd#sig=c2lnbmF0dXJl", name="clock", arguments={}),
    )
    body = payload(
        ToolSet(tools=(WEATHER, CLOCK)),
        Message(role="user", content="Weather and time?"),
        Message(role="assistant", content="", tool_calls=calls),
        Message(role="tool", content="-3 C", tool_call_id="call_0_ab", name="weather"),
        Message(role="tool", content="clock broke", tool_call_id="call_1_cd#sig=c2lnbmF0dXJl", is_error=True),
        Message(role="user", content="And?"),
    )
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "Weather and time?"}]},
        {
            "role": "model",
            "parts": [
                {"functionCall": {"name": "weather", "args": {"city": "Oslo"}}},
                {"functionCall": {"name": "clock", "args": {}}, "thoughtSignature": "c2lnbmF0dXJl"},
            ],
        },
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "weather", "response": {"output": "-3 C"}}},
                {"functionResponse": {"name": "clock", "response": {"error": "clock broke"}}},
                {"text": "And?"},
            ],
        },
    ]


def test_a_result_naming_no_known_tool_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="names no tool"):
        payload(
            ToolSet(tools=(CLOCK,)),
            Message(role="user", content="Time?"),
            Message(role="tool", content="noon", tool_call_id="elsewhere"),
        )


ANSWER = {
    "candidates": [
        {
            "content": {
                "role": "model",
                "parts": [
                    {"text": "Checking."},
                    {"functionCall": {"name": "weather", "args": {"city": "Oslo"}}, "thoughtSignature": "c2ln"},
                    {"functionCall": {"name": "clock", "args": {}}},
                ],
            },
            "finishReason": "STOP",
        }
    ],
    "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 3},
}


def test_a_whole_answer_with_function_calls_is_calls_with_stable_ids() -> None:
    event = gemini.parse_response(ANSWER, first=0)
    assert (event.text, event.finish) == ("Checking.", "tool_calls")
    calls = assemble(event.tool_calls)
    assert [(c.name, c.arguments) for c in calls] == [("weather", {"city": "Oslo"}), ("clock", {})]
    assert calls[0].id.startswith("call_0_") and calls[0].id.endswith("#sig=c2ln")
    assert assemble(gemini.parse_response(ANSWER, first=0, earlier=4).tool_calls)[0].id.startswith("call_4_")
    assert calls[1].id.startswith("call_1_") and "#sig=" not in calls[1].id
    assert assemble(gemini.parse_response(ANSWER, first=0).tool_calls) == calls  # stable
    assert gemini.parse_response(ANSWER).tool_calls == ()  # no tools offered: parts are not read as calls


def test_gemini_own_call_ids_are_kept() -> None:
    answer = {"candidates": [{"content": {"parts": [{"functionCall": {"id": "fc-9", "name": "clock", "args": {}}}]}}]}
    assert gemini.parse_response(answer, first=0).tool_calls[0].id == "fc-9"


def test_a_stream_numbers_calls_across_frames_and_finishes_with_tool_calls() -> None:
    reader = gemini.CallCounter()
    rest = {"candidates": [{"content": {"parts": [{"text": ""}]}, "finishReason": "STOP"}]}
    first = {"candidates": [{"content": ANSWER["candidates"][0]["content"]}]}  # type: ignore[index]
    later = {"candidates": [{"content": {"parts": [{"functionCall": {"name": "clock", "args": {"tz": "UTC"}}}]}}]}
    events = [reader.read(Frame(event=None, data=d)) for d in (first, later, rest)]
    calls = assemble([d for e in events for d in e.tool_calls])
    assert [c.id.split("_")[1] for c in calls] == ["0", "1", "2"]
    assert calls[2].arguments == {"tz": "UTC"} and events[-1].finish == "tool_calls"


def test_a_malformed_function_call_is_an_error() -> None:
    answer = {"candidates": [{"finishReason": "MALFORMED_FUNCTION_CALL", "finishMessage": "bad args"}]}
    assert "malformed function call (bad args)" in str(gemini.parse_response(answer, first=0).error)


@given(
    calls=st.lists(
        st.tuples(
            st.sampled_from(["clock", "weather"]), st.dictionaries(st.text(max_size=4), st.integers(), max_size=3)
        ),
        max_size=5,
    ),
    cuts=st.lists(st.integers(min_value=0, max_value=5), max_size=4),
    earlier=st.integers(min_value=0, max_value=9),
)
def test_any_split_of_the_calls_into_frames_assembles_as_the_whole_answer(
    calls: list[tuple[str, dict[str, int]]], cuts: list[int], earlier: int
) -> None:
    parts = [{"functionCall": {"name": name, "args": args}} for name, args in calls]
    whole = assemble(
        gemini.parse_response({"candidates": [{"content": {"parts": parts}}]}, first=0, earlier=earlier).tool_calls
    )
    bounds = sorted({0, len(parts), *(c for c in cuts if c < len(parts))})
    reader = gemini.CallCounter(earlier)
    deltas: list[ToolCallDelta] = []
    for start, end in itertools.pairwise(bounds):
        frame = {"candidates": [{"content": {"parts": parts[start:end]}}]}
        deltas.extend(reader.read(Frame(event=None, data=frame)).tool_calls)
    assert assemble(deltas) == whole
