"""Anthropic Messages bodies read into domain values, answers written from them, and errors in
Anthropic's shape: the pure functions, without a socket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from chi_llm.domain.errors import BackendUnavailable
from chi_llm.domain.generation import Chunk, Completion, GenerationRequest, Timings, Usage
from chi_llm.domain.messages import Message
from chi_llm.domain.tools import ToolCall, ToolCallDelta
from chi_llm.entrypoints.server.errors import HttpError
from chi_llm.entrypoints.server.messages_reply import MessagesFormat
from chi_llm.entrypoints.server.wire import MEDIA_OMITTED
from chi_llm.entrypoints.server.wire_messages import count_request, estimate, messages_request

USER: Any = [{"role": "user", "content": "hi"}]
TOOL: Any = {"name": "weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}
USE: Any = {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Oslo"}}


def body(**fields: Any) -> dict[str, Any]:
    return {"model": "m", "max_tokens": 10, "messages": USER, **fields}


def refused(**fields: Any) -> str:
    with pytest.raises(HttpError) as error:
        messages_request(body(**fields))
    assert error.value.status == 400
    return error.value.message


def test_system_text_and_options() -> None:
    parsed = messages_request(
        body(system=[{"type": "text", "text": "a"}, {"type": "text", "text": "b"}], stop_sequences=["x", ""], top_k=3)
    )
    assert [(m.role, m.content) for m in parsed.messages] == [("system", "a\nb"), ("user", "hi")]
    assert parsed.model == "m" and parsed.options.max_tokens == 10 and parsed.options.stop == ("x",)
    assert not parsed.stream and parsed.options.tools is None
    assert messages_request(body(system="", stream=True)).stream


def test_a_tool_round_trip_becomes_calls_and_tool_messages() -> None:
    turns: Any = [
        *USER,
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "hm", "signature": "s"}, USE]},
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "12 C"}]},
                {"type": "text", "text": "and now?"},
            ],
        },
    ]
    parsed = messages_request(body(messages=turns, tools=[TOOL], tool_choice={"type": "any"}))
    _, asked, result, after = parsed.messages
    assert asked == Message(
        role="assistant",
        content="",
        tool_calls=(ToolCall(id="toolu_1", name="weather", arguments={"city": "Oslo"}, raw='{"city": "Oslo"}'),),
    )
    assert (result.role, result.tool_call_id, result.name, result.content, result.is_error) == (
        "tool",
        "toolu_1",
        "weather",
        "12 C",
        False,
    )
    assert (after.role, after.content) == ("user", "and now?")
    tools = parsed.options.tools
    assert tools is not None and tools.choice == "required" and tools.tools[0].parameters == TOOL["input_schema"]


@pytest.mark.parametrize(
    ("choice", "expected", "parallel"),
    [
        (None, "auto", None),
        ({"type": "none"}, "none", None),
        ({"type": "tool", "name": "weather", "disable_parallel_tool_use": True}, "weather", False),
        ({"type": "auto", "disable_parallel_tool_use": False}, "auto", True),
    ],
)
def test_tool_choice(choice: Any, expected: str, parallel: Any) -> None:
    tools = messages_request(body(tools=[TOOL], tool_choice=choice)).options.tools
    assert tools is not None and (tools.choice, tools.parallel) == (expected, parallel)


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"max_tokens": None}, "max_tokens: Field required"),
        ({"max_tokens": 0}, "at least 1"),
        ({"messages": []}, "non-empty list"),
        ({"messages": [{"role": "system", "content": "x"}]}, "top-level system field"),
        ({"messages": [*USER, {"role": "assistant", "content": "Sure"}]}, "prefill"),
        ({"messages": [{"role": "user", "content": [{"type": "image", "source": {}}]}]}, "image blocks"),
        ({"messages": [{"role": "user", "content": [{"type": "document", "source": {}}]}]}, "document blocks"),
        ({"messages": [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "nope"}]}]}, "earlier"),
        ({"messages": [{"role": "user", "content": 3}]}, "string or a list"),
        ({"system": [{"type": "image"}]}, "only text blocks"),
        ({"stop_sequences": "x"}, "list of strings"),
        ({"top_k": "many"}, "top_k"),
        ({"temperature": 3}, "temperature"),
        ({"mcp_servers": [{"url": "x"}]}, "MCP connector"),
        ({"tools": [{"type": "web_search_20250305", "name": "web_search"}]}, "server tools"),
        ({"tools": [{"type": "bash_20250124", "name": "bash"}]}, "server tools"),
        ({"tools": [{"type": "text_editor_20250429", "name": "str_replace_based_edit_tool"}]}, "server tools"),
        ({"tools": [{"name": "x"}]}, "input_schema"),
        ({"tools": [TOOL, TOOL]}, "unique"),
        ({"tool_choice": {"type": "any"}}, "needs tools"),
        ({"tools": [TOOL], "tool_choice": {"type": "tool", "name": "other"}}, "not among the tools"),
        ({"tools": [TOOL], "tool_choice": "auto"}, "tool_choice must be"),
        ({"output_config": {"format": {"type": "json_object"}}}, "json_schema"),
    ],
)
def test_what_is_refused_says_why(fields: Any, said: str) -> None:
    assert said in refused(**fields)


def test_a_result_of_a_call_never_made_and_tool_content_that_is_not_text() -> None:
    history: Any = [*USER, {"role": "assistant", "content": [USE]}]
    other: Any = {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "search_result"}]}
    assert "only text blocks" in refused(messages=[*history, {"role": "user", "content": [other]}], tools=[TOOL])
    twice: Any = [*USER, {"role": "assistant", "content": [USE, USE]}, *USER]
    assert "same id" in refused(messages=twice)
    failed: Any = {"type": "tool_result", "tool_use_id": "toolu_1", "content": "boom", "is_error": True}
    parsed = messages_request(body(messages=[*history, {"role": "user", "content": [failed]}]))
    assert parsed.messages[-1].is_error


def test_count_tokens_needs_no_max_tokens_and_never_streams() -> None:
    parsed = count_request({"model": "m", "messages": USER, "stream": True})
    assert parsed.options.max_tokens is None and not parsed.stream


def test_the_estimate_counts_text_calls_and_tools() -> None:
    parsed = messages_request(body(tools=[TOOL]))
    request = GenerationRequest(messages=parsed.messages, options=parsed.options)
    words = estimate(request, lambda text: len(text.split()))
    assert words == 1 + len(json.dumps(["weather", "", TOOL["input_schema"]]).split()) + 4


def completion(**fields: Any) -> Completion:
    values: Any = {"text": "", "finish_reason": "stop", "usage": Usage(prompt_tokens=9, completion_tokens=4)}
    return Completion(timings=Timings(time_to_first_token=None, total=0.0), **{**values, **fields})


def test_the_whole_message() -> None:
    shape = MessagesFormat("m", id="msg_1")
    calls = (ToolCall(id="call_a", name="weather", arguments={"city": "Oslo"}),)
    used = Usage(prompt_tokens=9, completion_tokens=4, cached_tokens=5)
    answer = shape.whole(completion(text="Looking.", finish_reason="tool_calls", tool_calls=calls, usage=used))
    assert answer == {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "m",
        "content": [
            {"type": "text", "text": "Looking."},
            {"type": "tool_use", "id": "toolu_call_a", "name": "weather", "input": {"city": "Oslo"}},
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 4,
            "output_tokens": 4,
            "cache_read_input_tokens": 5,
            "cache_creation_input_tokens": 0,
        },
    }
    assert shape.whole(completion(finish_reason="length"))["stop_reason"] == "max_tokens"
    assert shape.whole(completion())["content"] == [{"type": "text", "text": ""}]


async def _events(chunks: list[Chunk | Exception], stopping: bool = False) -> list[dict[str, Any]]:
    async def source() -> AsyncIterator[Chunk]:
        for chunk in chunks:
            if isinstance(chunk, Exception):
                raise chunk
            yield chunk

    stop = asyncio.Event()
    if stopping:
        stop.set()
    out = []
    async for raw in MessagesFormat("m").events(source(), stopping=stop, done=lambda usage: None):
        name, data = raw.decode().split("\n")[:2]
        parsed = json.loads(data.removeprefix("data: "))
        assert name == f"event: {parsed['type']}" and raw.endswith(b"\n\n")
        out.append(parsed)
    return out


async def test_a_stream_of_text_then_two_calls() -> None:
    end = Chunk(finish_reason="tool_calls", usage=Usage(prompt_tokens=7, completion_tokens=5))
    events = await _events(
        [
            Chunk(text="Let me"),
            Chunk(text=" look."),
            Chunk(tool_calls=(ToolCallDelta(index=0, id="c0", name="weather"),)),
            Chunk(tool_calls=(ToolCallDelta(index=0, arguments='{"city"'), ToolCallDelta(index=0, arguments=":1}"))),
            Chunk(tool_calls=(ToolCallDelta(index=1, name="now", arguments="{}"),)),
            end,
        ]
    )
    kinds = [(e["type"], e.get("index")) for e in events]
    assert kinds == [
        ("message_start", None),
        ("ping", None),
        ("content_block_start", 0),
        ("content_block_delta", 0),
        ("content_block_delta", 0),
        ("content_block_stop", 0),
        ("content_block_start", 1),
        ("content_block_delta", 1),
        ("content_block_delta", 1),
        ("content_block_stop", 1),
        ("content_block_start", 2),
        ("content_block_delta", 2),
        ("content_block_stop", 2),
        ("message_delta", None),
        ("message_stop", None),
    ]
    assert events[0]["message"]["content"] == [] and events[0]["message"]["stop_reason"] is None
    assert events[6]["content_block"] == {"type": "tool_use", "id": "toolu_c0", "name": "weather", "input": {}}
    assert events[10]["content_block"]["id"] == "toolu_call_1"
    assert [e["delta"].get("partial_json") for e in events[7:9]] == ['{"city"', ":1}"]
    assert events[-2]["delta"] == {"stop_reason": "tool_use", "stop_sequence": None}
    assert events[-2]["usage"]["input_tokens"] == 7 and events[-2]["usage"]["output_tokens"] == 5


async def test_a_failure_after_the_start_is_an_error_event() -> None:
    events = await _events([Chunk(text="Hi"), BackendUnavailable("the provider went away")])
    assert events[-1] == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "the provider went away"},
    }
    stopped = await _events([Chunk(text="Hi")], stopping=True)
    assert stopped[-1]["type"] == "error" and "shutting down" in stopped[-1]["error"]["message"]


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, "invalid_request_error"),
        (401, "authentication_error"),
        (403, "permission_error"),
        (404, "not_found_error"),
        (405, "invalid_request_error"),
        (413, "request_too_large"),
        (415, "invalid_request_error"),
        (429, "rate_limit_error"),
        (500, "api_error"),
        (502, "api_error"),
        (503, "overloaded_error"),
    ],
)
def test_anthropic_error_types_by_status(status: int, kind: str) -> None:
    assert HttpError(status, "why").anthropic_body() == {"type": "error", "error": {"type": kind, "message": "why"}}


async def test_a_call_cut_off_before_its_name_is_text_and_the_answer_ends_at_max_tokens() -> None:
    """llama.cpp hands a call cut off by max_tokens on as its raw text, without a name: Anthropic's
    SDK would fail on a tool_use block named "" with unparseable input."""
    cut = ToolCallDelta(index=0, arguments='<tool_call>{"name": "f", "argu')
    end = Chunk(finish_reason="length", usage=Usage(prompt_tokens=3, completion_tokens=8))
    events = await _events([Chunk(text="Sure."), Chunk(tool_calls=(cut,)), end])
    started = [e["content_block"] for e in events if e["type"] == "content_block_start"]
    assert all(block["type"] == "text" for block in started)
    text = "".join(e["delta"]["text"] for e in events if e["type"] == "content_block_delta")
    assert text == 'Sure.<tool_call>{"name": "f", "argu'
    assert events[-2]["delta"] == {"stop_reason": "max_tokens", "stop_sequence": None}


async def test_a_call_whose_name_comes_after_its_first_piece_opens_named() -> None:
    pieces = [ToolCallDelta(index=0, id="c0", arguments=""), ToolCallDelta(index=0, name="now", arguments="{}")]
    chunks: list[Chunk | Exception] = [Chunk(tool_calls=(p,)) for p in pieces]
    events = await _events([*chunks, Chunk(finish_reason="tool_calls")])
    started = [e["content_block"] for e in events if e["type"] == "content_block_start"]
    assert started == [{"type": "tool_use", "id": "toolu_c0", "name": "now", "input": {}}]
    assert events[-2]["delta"] == {"stop_reason": "tool_use", "stop_sequence": None}


async def test_any_failure_after_the_start_is_an_error_event() -> None:
    events = await _events([Chunk(text="Hi"), RuntimeError("a bug")])
    assert events[-1]["type"] == "error" and events[-1]["error"]["type"] == "api_error"


def test_stop_sequence_only_with_its_stop_reason() -> None:
    call = ToolCall(id="c", name="f", arguments={})
    used, spent = Usage(prompt_tokens=1, completion_tokens=1), Timings(time_to_first_token=None, total=0.0)
    done = Completion(
        text="", finish_reason="tool_calls", usage=used, timings=spent, tool_calls=(call,), stop_sequence="END"
    )
    whole = MessagesFormat("m").whole(done)
    assert whole["stop_reason"] == "tool_use" and whole["stop_sequence"] is None
    cut = Completion(text="abc", finish_reason="length", usage=used, timings=spent, tool_calls=(call,))
    assert MessagesFormat("m").whole(cut)["stop_reason"] == "max_tokens"


def test_a_turns_text_blocks_are_kept_apart() -> None:
    """Claude Code sends a reminder block, then the prompt: glued, the model read `</r>list files`."""
    blocks = [{"type": "text", "text": "<r>be careful</r>"}, {"type": "text", "text": "list files"}]
    parsed = messages_request({"model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": blocks}]})
    assert parsed.messages[-1].content == "<r>be careful</r>\nlist files"


def test_an_image_earlier_in_the_conversation_stands_as_a_note_and_in_the_last_turn_is_refused() -> None:
    """Refused anywhere, an image (a screenshot a tool read) would fail every later turn."""
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}
    call = {"type": "tool_use", "id": "t1", "name": "read", "input": {}}
    result = {"type": "tool_result", "tool_use_id": "t1", "content": [image, {"type": "text", "text": "ok"}]}
    turns = [
        {"role": "user", "content": [image, {"type": "text", "text": "look"}]},
        {"role": "assistant", "content": [call]},
        {"role": "user", "content": [result]},
    ]
    parsed = messages_request({"model": "m", "max_tokens": 8, "messages": turns})
    assert parsed.messages[0].content == f"{MEDIA_OMITTED}\nlook"
    assert parsed.messages[-1].role == "tool" and parsed.messages[-1].content == f"{MEDIA_OMITTED}\nok"
    with pytest.raises(HttpError, match="image blocks are not supported"):
        messages_request({"model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": [image]}]})


def test_a_prompt_too_long_is_worded_as_anthropic_words_it() -> None:
    """Claude Code compacts the conversation when it reads Anthropic's words for this error."""
    from chi_llm.domain.errors import ContextLengthExceeded
    from chi_llm.entrypoints.server.errors import from_error

    error = from_error(ContextLengthExceeded(prompt_tokens=9000, context=8192, backend="m"))
    said = error.anthropic_body()["error"]["message"]
    assert said.startswith("prompt is too long: 9000 tokens > 8192 maximum; the prompt is 9000 tokens")
    assert error.body()["error"]["message"].startswith("the prompt is 9000 tokens")  # OpenAI's shape unchanged
