"""The Responses answer format on its own (`responses_reply`): the whole `response` object and
the event stream for chunk sequences a backend may send: a call named after its first piece,
text after a call, an empty answer, a call never named, a shutdown mid-stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

from openai.types.responses import Response, ResponseStreamEvent
from pydantic import TypeAdapter

from chi_llm.domain.generation import Chunk, Completion, Timings, Usage
from chi_llm.domain.tools import ToolCall, ToolCallDelta
from chi_llm.entrypoints.server.responses_reply import ResponseHead

ECHO = {"tools": [], "tool_choice": "auto", "parallel_tool_calls": True, "text": {"format": {"type": "text"}}}
EVENTS: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)
USED = Usage(prompt_tokens=5, completion_tokens=2, cached_tokens=1)


async def _chunks(chunks: Sequence[Chunk]) -> AsyncIterator[Chunk]:
    for chunk in chunks:
        yield chunk


def streamed(chunks: Sequence[Chunk], *, stopping: bool = False) -> list[dict[str, Any]]:
    """The events' data, each checked against its `event:` line and the SDK's type for it."""
    head = ResponseHead(model="m", echo=ECHO)

    async def run() -> list[bytes]:
        event = asyncio.Event()
        if stopping:
            event.set()
        return [piece async for piece in head.events(_chunks(chunks), stopping=event, done=lambda _: None)]

    out = []
    for piece in b"".join(asyncio.run(run())).decode().removesuffix("\n\n").split("\n\n"):
        kind, data = piece.split("\n")
        out.append(json.loads(data.removeprefix("data: ")))
        assert kind == "event: " + out[-1]["type"]
        EVENTS.validate_python(out[-1])
    assert [e["sequence_number"] for e in out] == list(range(len(out)))
    return out


def test_a_whole_answer_is_the_sdks_response() -> None:
    call = ToolCall(id="call_1", name="now", arguments={"utc": True}, raw='{"utc": true}')
    done = Completion(
        text="Let me see.",
        finish_reason="tool_calls",
        usage=USED,
        timings=Timings(time_to_first_token=None, total=0.1),
        tool_calls=(call,),
    )
    body = ResponseHead(model="m", echo=ECHO).whole(done)
    response = Response.model_validate(body)  # validated: every field the SDK's type requires is there
    assert response.output_text == "Let me see." and [o.type for o in response.output] == ["message", "function_call"]
    assert response.usage is not None and response.usage.input_tokens_details.cached_tokens == 1
    empty = Completion(
        text="", finish_reason="length", usage=USED, timings=Timings(time_to_first_token=None, total=0.1)
    )
    cut = Response.model_validate(ResponseHead(model="m", echo=ECHO).whole(empty))
    assert cut.status == "incomplete" and [o.type for o in cut.output] == ["message"]


def test_a_call_named_after_its_first_piece_is_announced_with_what_came_before() -> None:
    events = streamed(
        [
            Chunk(tool_calls=(ToolCallDelta(index=0, id="c", arguments='{"a"'),)),
            Chunk(tool_calls=(ToolCallDelta(index=0, name="f", arguments=": 1}"),)),
            Chunk(finish_reason="tool_calls", usage=USED),
        ]
    )
    kinds = [e["type"] for e in events]
    assert kinds[2:] == [
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert events[2]["item"]["name"] == "f" and events[2]["item"]["call_id"] == "c"
    assert [e["delta"] for e in events[3:5]] == ['{"a"', ": 1}"] and events[5]["arguments"] == '{"a": 1}'
    Response.model_validate(events[-1]["response"])


def test_text_after_a_call_is_a_new_message_item() -> None:
    events = streamed(
        [
            Chunk(text="a"),
            Chunk(tool_calls=(ToolCallDelta(index=0, id="c", name="f", arguments="{}"),)),
            Chunk(text="b"),
            Chunk(finish_reason="stop", usage=USED),
        ]
    )
    final = Response.model_validate(events[-1]["response"])
    assert [o.type for o in final.output] == ["message", "function_call", "message"]
    deltas = [(e["output_index"], e["delta"]) for e in events if e["type"] == "response.output_text.delta"]
    assert deltas == [(0, "a"), (2, "b")]


def test_an_empty_answer_is_still_a_message() -> None:
    events = streamed([Chunk(finish_reason="stop", usage=USED)])
    final = Response.model_validate(events[-1]["response"])
    assert [o.type for o in final.output] == ["message"] and final.output_text == ""


def test_a_call_never_named_is_an_error_event_after_what_was_sent() -> None:
    events = streamed(
        [
            Chunk(text="x"),
            Chunk(tool_calls=(ToolCallDelta(index=0, arguments="{}"),)),
            Chunk(finish_reason="tool_calls"),
        ]
    )
    kinds = [e["type"] for e in events]
    assert kinds[-5:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "error",
        "response.failed",
    ]
    assert "never named its tool" in events[-2]["message"] and events[-1]["response"]["status"] == "failed"


def test_a_shutdown_mid_stream_says_so() -> None:
    events = streamed([Chunk(text="x"), Chunk(finish_reason="stop")], stopping=True)
    assert [e["type"] for e in events] == ["response.created", "response.in_progress", "error", "response.failed"]
    assert events[2]["code"] == "shutting_down" and "shutting down" in events[2]["message"]


def test_a_call_cut_off_by_max_output_tokens_before_its_name_is_text() -> None:
    """llama.cpp hands a call cut off by the token limit on as its raw text, without a name."""
    cut = ToolCallDelta(index=0, arguments='<tool_call>{"name": "f", "argu')
    events = streamed([Chunk(text="Sure."), Chunk(tool_calls=(cut,)), Chunk(finish_reason="length", usage=USED)])
    last = events[-1]
    assert last["type"] == "response.incomplete"
    assert [o["type"] for o in last["response"]["output"]] == ["message"]
    said = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    assert said == 'Sure.<tool_call>{"name": "f", "argu'


def test_a_calls_arguments_done_event_names_it() -> None:
    pieces = [ToolCallDelta(index=0, id="c", name="now", arguments="{}")]
    events = streamed([Chunk(tool_calls=tuple(pieces)), Chunk(finish_reason="tool_calls", usage=USED)])
    done = next(e for e in events if e["type"] == "response.function_call_arguments.done")
    assert done["name"] == "now" and done["arguments"] == "{}"
