"""OpenAI Responses answers (`POST /v1/responses`): the `response` object of a whole answer and
the event sequence of a streamed one, written from domain values. The shapes are the official
`openai` SDK's types (`Response`, `ResponseTextDeltaEvent`, `ResponseCompletedEvent`, ...)."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.generation import Chunk, Completion, FinishReason, Usage
from chi_llm.domain.tools import ToolCall, ToolCallDelta
from chi_llm.entrypoints.server.errors import SHUTTING_DOWN, HttpError, failure
from chi_llm.entrypoints.server.replies import json_bytes


def _id(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


def usage(value: Usage | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {
        "input_tokens": value.prompt_tokens,
        "input_tokens_details": {"cached_tokens": value.cached_tokens, "cache_write_tokens": 0},
        "output_tokens": value.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": value.total_tokens,
    }


def text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def message_item(item_id: str, text: str | None, status: str) -> dict[str, Any]:
    """An assistant message (content empty while it opens: `text` None)."""
    content = [] if text is None else [text_part(text)]
    return {"id": item_id, "type": "message", "role": "assistant", "status": status, "content": content}


def call_item(item_id: str, call_id: str, name: str, arguments: str, status: str) -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "function_call",
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": status,
    }


def _failure_code(error: HttpError) -> str:
    """A failed response's `error.code`: one of the few the SDK's type allows (the `error`
    event before it carries the server's own code)."""
    return "rate_limit_exceeded" if error.status == 429 else "server_error"


def _status(finish: FinishReason | None) -> str:
    return "incomplete" if finish == "length" else "completed"


@dataclass(slots=True)
class ResponseHead:
    """One response's identity and the request settings it repeats (`echo`)."""

    model: str
    echo: Mapping[str, Any]
    id: str = field(default_factory=lambda: _id("resp_"))
    created_at: int = field(default_factory=lambda: int(time.time()))

    def body(
        self,
        status: str,
        output: Sequence[Mapping[str, Any]] = (),
        used: Usage | None = None,
        error: HttpError | None = None,
    ) -> dict[str, Any]:
        """The `response` object: in progress, completed, incomplete (the token limit), failed."""
        incomplete = {"reason": "max_output_tokens"} if status == "incomplete" else None
        return {
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "error": {"code": _failure_code(error), "message": error.message} if error else None,
            "incomplete_details": incomplete,
            "model": self.model,
            "output": list(output),
            "usage": usage(used),
            **self.echo,
        }

    def whole(self, done: Completion) -> dict[str, Any]:
        status = _status(done.finish_reason)
        output = [message_item(_id("msg_"), done.text, status)] if done.text or not done.tool_calls else []
        output += [call_item(_id("fc_"), call.id, call.name, _raw(call), "completed") for call in done.tool_calls]
        return self.body(status, output, done.usage)

    def events(
        self, chunks: AsyncIterator[Chunk], *, stopping: asyncio.Event, done: Callable[[Usage | None], None]
    ) -> AsyncIterator[bytes]:
        return ResponseEvents(self).run(chunks, stopping=stopping, done=done)


def _raw(call: ToolCall) -> str:
    return call.raw or json_bytes(dict(call.arguments)).decode()


def event(kind: str, number: int, **fields: Any) -> bytes:
    """One server-sent event: its type on the `event:` line and in the data, with its number."""
    return (
        b"event: "
        + kind.encode()
        + b"\ndata: "
        + json_bytes({"type": kind, "sequence_number": number, **fields})
        + b"\n\n"
    )


@dataclass(slots=True)
class _Call:
    item_id: str
    call_id: str
    name: str | None
    arguments: list[str] = field(default_factory=list)
    index: int = -1  # its output_index once announced (it is when its name is known)


@dataclass(slots=True)
class ResponseEvents:
    """The event sequence of one streamed response: created, in progress, each output item
    added, its text or arguments in deltas, done; then completed (or incomplete) with the whole
    response and its usage. A failure after the first event is an `error` event and
    `response.failed`."""

    head: ResponseHead
    number: int = 0
    output: list[dict[str, Any]] = field(default_factory=list)
    text_id: str | None = None  # the message being written, while it is
    text: list[str] = field(default_factory=list)
    calls: dict[int, _Call] = field(default_factory=dict)
    ended: bool = False

    def emit(self, kind: str, **fields: Any) -> bytes:
        self.number += 1
        return event(kind, self.number - 1, **fields)

    def _open_text(self) -> list[bytes]:
        self.text_id = _id("msg_")
        self.output.append(message_item(self.text_id, None, "in_progress"))
        where = {"item_id": self.text_id, "output_index": len(self.output) - 1}
        return [
            self.emit("response.output_item.added", output_index=where["output_index"], item=self.output[-1]),
            self.emit("response.content_part.added", **where, content_index=0, part=text_part("")),
        ]

    def _close_text(self, status: str) -> list[bytes]:
        if self.text_id is None:
            return []
        text, index = "".join(self.text), next(i for i, o in enumerate(self.output) if o["id"] == self.text_id)
        where = {"item_id": self.text_id, "output_index": index, "content_index": 0}
        self.output[index] = message_item(self.text_id, text, status)
        self.text_id = None
        return [
            self.emit("response.output_text.done", **where, text=text, logprobs=[]),
            self.emit("response.content_part.done", **where, part=text_part(text)),
            self.emit("response.output_item.done", output_index=index, item=self.output[index]),
        ]

    def _call_pieces(self, delta: ToolCallDelta) -> list[bytes]:
        call = self.calls.get(delta.index)
        if call is None:
            call = self.calls[delta.index] = _Call(_id("fc_"), delta.id or f"call_{delta.index}", delta.name)
        call.name = call.name or delta.name
        out: list[bytes] = []
        if call.index < 0 and call.name:  # announced once named, with what came before
            out += self._close_text("completed")
            call.index = len(self.output)
            self.output.append(call_item(call.item_id, call.call_id, call.name, "", "in_progress"))
            out.append(self.emit("response.output_item.added", output_index=call.index, item=self.output[-1]))
            if call.arguments:
                out.append(self._arguments(call, "".join(call.arguments)))
        call.arguments.append(delta.arguments)
        if call.index >= 0 and delta.arguments:
            out.append(self._arguments(call, delta.arguments))
        return out

    def _arguments(self, call: _Call, piece: str) -> bytes:
        where = {"item_id": call.item_id, "output_index": call.index}
        return self.emit("response.function_call_arguments.delta", **where, delta=piece)

    def _close_calls(self) -> Iterator[bytes]:
        for position, call in sorted(self.calls.items()):
            if call.index < 0:
                raise InvalidRequest(f"the stream's tool call {position} never named its tool")
            arguments = "".join(call.arguments)
            self.output[call.index] = call_item(call.item_id, call.call_id, call.name or "", arguments, "completed")
            where = {"item_id": call.item_id, "output_index": call.index}
            name = call.name or ""
            yield self.emit("response.function_call_arguments.done", **where, name=name, arguments=arguments)
            yield self.emit("response.output_item.done", output_index=call.index, item=self.output[call.index])

    def _failed(self, error: HttpError) -> list[bytes]:
        self.ended = True
        return [
            self.emit("error", code=error.code or error.type, message=error.message, param=error.param),
            self.emit("response.failed", response=self.head.body("failed", self.output, error=error)),
        ]

    def _chunk(self, chunk: Chunk, done: Callable[[Usage | None], None]) -> Iterator[bytes]:
        """The events of one chunk (a generator, so those sent before a failure keep their numbers)."""
        if chunk.text:
            if self.text_id is None:
                yield from self._open_text()
            self.text.append(chunk.text)
            where = {"item_id": self.text_id, "output_index": len(self.output) - 1, "content_index": 0}
            yield self.emit("response.output_text.delta", **where, delta=chunk.text, logprobs=[])
        for delta in chunk.tool_calls:
            yield from self._call_pieces(delta)
        if chunk.finish_reason is not None:
            status = _status(chunk.finish_reason)
            if status == "incomplete":  # a call cut off before its name (llama.cpp's raw text) is text
                for position in [p for p, call in sorted(self.calls.items()) if call.index < 0]:
                    yield from self._chunk(Chunk(text="".join(self.calls.pop(position).arguments)), done)
            if not self.output and not self.calls:  # an empty answer is still a message, as a whole one is
                yield from self._open_text()
            yield from self._close_text(status)
            yield from self._close_calls()
            done(chunk.usage)
            kind = "response.incomplete" if status == "incomplete" else "response.completed"
            self.ended = True
            yield self.emit(kind, response=self.head.body(status, self.output, chunk.usage))

    def _events_of(self, chunk: Chunk, stopping: asyncio.Event, done: Callable[[Usage | None], None]) -> bytes:
        """One chunk's events in one write (those before a failure, then the failure's)."""
        pieces: list[bytes] = []
        try:
            if stopping.is_set():
                pieces += self._failed(SHUTTING_DOWN)
            else:
                for piece in self._chunk(chunk, done):
                    pieces.append(piece)
        except Exception as error:  # said in the stream (errors.failure), not a cut connection
            pieces += self._failed(failure(error))
        return b"".join(pieces)

    async def run(
        self, chunks: AsyncIterator[Chunk], *, stopping: asyncio.Event, done: Callable[[Usage | None], None]
    ) -> AsyncIterator[bytes]:
        created = self.emit("response.created", response=self.head.body("in_progress"))
        yield created + self.emit("response.in_progress", response=self.head.body("in_progress"))
        try:
            async for chunk in chunks:
                yield self._events_of(chunk, stopping, done)
                if self.ended:
                    return
        except Exception as error:
            yield b"".join(self._failed(failure(error)))


def shape(echo: Mapping[str, Any]) -> Callable[[str], ResponseHead]:
    """The Responses format for a backend named `model`."""
    return lambda model: ResponseHead(model=model, echo=echo)


__all__ = ["ResponseEvents", "ResponseHead", "shape"]
