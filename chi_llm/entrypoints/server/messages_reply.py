"""Anthropic Messages answers written from domain values: the whole `message` object, and the
server-sent events of a streamed one (`message_start`, `content_block_start` / `_delta` /
`_stop` per text or tool_use block, `message_delta` with the stop reason and usage,
`message_stop`; an `error` event when the answer fails after it began).

A stop is `stop_sequence` with the sequence where the backend says which of the request's stop
sequences ended the answer (llama.cpp, the fake), else `end_turn`. The input tokens are known
when the answer ends, so a stream's `message_start` counts 0 and its `message_delta` the real
count (Anthropic's SDKs take a message_delta's input_tokens over message_start's)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from chi_llm.domain.generation import Chunk, Completion, FinishReason, Usage
from chi_llm.domain.tools import ToolCallDelta
from chi_llm.entrypoints.server.errors import SHUTTING_DOWN, HttpError, failure
from chi_llm.entrypoints.server.formats import Format
from chi_llm.entrypoints.server.replies import json_bytes

STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}


def stop_reason(finish: FinishReason, matched: str | None, *, calls: bool) -> str:
    """Anthropic's stop reason: an answer cut off is `max_tokens` even inside a call."""
    if finish == "length":
        return "max_tokens"
    if calls:
        return "tool_use"
    return "stop_sequence" if matched is not None else STOP_REASONS[finish]


def stopped_by(reason: str, matched: str | None) -> str | None:
    """`stop_sequence` is set only when the stop reason is one."""
    return matched if reason == "stop_sequence" else None


def call_id(backend_id: str | None, index: int) -> str:
    """A tool_use block's id: the backend's own (as `assemble` names a call without one),
    with Anthropic's `toolu_` prefix, the same whole or streamed."""
    given = backend_id or f"call_{index}"
    return given if given.startswith("toolu_") else "toolu_" + given


def usage(value: Usage | None) -> dict[str, int]:
    """Anthropic's usage: input tokens read from the cache are counted apart from the others."""
    if value is None:
        return {"input_tokens": 0, "output_tokens": 0, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}
    return {
        "input_tokens": value.prompt_tokens - value.cached_tokens,
        "output_tokens": value.completion_tokens,
        "cache_read_input_tokens": value.cached_tokens,
        "cache_creation_input_tokens": 0,
    }


def event(data: dict[str, Any]) -> bytes:
    """One server-sent event: `event: <type>` and its JSON."""
    return b"event: " + str(data["type"]).encode() + b"\ndata: " + json_bytes(data) + b"\n\n"


def error_event(error: HttpError) -> bytes:
    return event(error.anthropic_body())


@dataclass(slots=True)
class MessagesFormat:
    """One answer's identity (id and model, the same in every event)."""

    model: str
    id: str = field(default_factory=lambda: "msg_" + secrets.token_hex(12))

    def _message(
        self, content: list[dict[str, Any]], stop: str | None, used: Usage | None, matched: str | None = None
    ) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": content,
            "stop_reason": stop,
            "stop_sequence": matched,
            "usage": usage(used),
        }

    def whole(self, done: Completion) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        if done.text or not done.tool_calls:
            content.append({"type": "text", "text": done.text})
        for index, call in enumerate(done.tool_calls):
            content.append(
                {"type": "tool_use", "id": call_id(call.id, index), "name": call.name, "input": dict(call.arguments)}
            )
        stop = stop_reason(done.finish_reason, done.stop_sequence, calls=bool(done.tool_calls))
        return self._message(content, stop, done.usage, stopped_by(stop, done.stop_sequence))

    async def events(
        self, chunks: AsyncIterator[Chunk], *, stopping: asyncio.Event, done: Callable[[Usage | None], None]
    ) -> AsyncIterator[bytes]:
        blocks = Blocks()
        yield event({"type": "message_start", "message": self._message([], None, None)})
        yield event({"type": "ping"})
        try:
            async for chunk in chunks:
                if stopping.is_set():
                    yield error_event(SHUTTING_DOWN)
                    return
                for piece in blocks.add(chunk):
                    yield event(piece)
                if chunk.finish_reason is not None:
                    done(chunk.usage)
                    for piece in blocks.finish():
                        yield event(piece)
                    stop = stop_reason(chunk.finish_reason, chunk.stop_sequence, calls=blocks.calls > 0)
                    delta = {"stop_reason": stop, "stop_sequence": stopped_by(stop, chunk.stop_sequence)}
                    yield event({"type": "message_delta", "delta": delta, "usage": usage(chunk.usage)})
                    yield event({"type": "message_stop"})
                    return
        except Exception as error:  # said in the stream (errors.failure), not a cut connection
            yield error_event(failure(error))


@dataclass(slots=True)
class Blocks:
    """A stream's content blocks: text opens (or continues) a text block, a call opens its
    tool_use block once its name is known (Anthropic's block start carries the name; pieces
    before it are held), its argument text goes out as `input_json_delta`; a block is stopped
    when the next one opens. A call that never got a name (llama.cpp's, cut off by max_tokens,
    is its raw text) goes out as text when the answer ends, not as a tool_use named ""."""

    count: int = 0
    open: tuple[str, int] | None = None  # ("text", 0) or ("call", call index)
    calls: int = 0
    named: dict[int, str] = field(default_factory=dict)  # index: name, once known
    held: dict[int, tuple[str | None, str]] = field(default_factory=dict)  # index: (id, arguments) before a name

    def add(self, chunk: Chunk) -> list[dict[str, Any]]:
        out = self._text(chunk.text)
        for piece in chunk.tool_calls:
            out += self._call(piece)
        return out

    def _text(self, text: str) -> list[dict[str, Any]]:
        if not text:
            return []
        out: list[dict[str, Any]] = []
        if self.open != ("text", 0):
            out += self._start(("text", 0), {"type": "text", "text": ""})
        out.append(self._delta({"type": "text_delta", "text": text}))
        return out

    def _call(self, piece: ToolCallDelta) -> list[dict[str, Any]]:
        index, arguments = piece.index, piece.arguments
        out: list[dict[str, Any]] = []
        if index not in self.named:
            held_id, held = self.held.pop(index, (None, ""))
            if not piece.name:
                self.held[index] = (piece.id or held_id, held + arguments)
                return []
            self.named[index] = piece.name
            self.calls += 1
            block = {"type": "tool_use", "id": call_id(piece.id or held_id, index), "name": piece.name, "input": {}}
            out += self._start(("call", index), block)
            arguments = held + arguments
        elif self.open != ("call", index):  # its pieces came between another block's
            block = {"type": "tool_use", "id": call_id(piece.id, index), "name": self.named[index], "input": {}}
            out += self._start(("call", index), block)
        if arguments:
            out.append(self._delta({"type": "input_json_delta", "partial_json": arguments}))
        return out

    def finish(self) -> list[dict[str, Any]]:
        """The answer ended: calls that never got a name go out as text, then the last block stops."""
        out: list[dict[str, Any]] = []
        for index in sorted(self.held):
            out += self._text(self.held[index][1])
        self.held.clear()
        return out + self.close()

    def _start(self, opening: tuple[str, int], block: dict[str, Any]) -> list[dict[str, Any]]:
        out = self.close()
        self.open = opening
        out.append({"type": "content_block_start", "index": self.count, "content_block": block})
        return out

    def _delta(self, delta: dict[str, Any]) -> dict[str, Any]:
        return {"type": "content_block_delta", "index": self.count, "delta": delta}

    def close(self) -> list[dict[str, Any]]:
        if self.open is None:
            return []
        self.open = None
        self.count += 1
        return [{"type": "content_block_stop", "index": self.count - 1}]


def messages(model: str) -> Format:
    """The Messages format for a backend named `model` (formats.Format's `shape`)."""
    return MessagesFormat(model)
