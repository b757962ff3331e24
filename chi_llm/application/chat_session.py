"""A conversation: its history, its system prompt, and an id the backend keys its cache by.

Every turn re-sends the whole history (so any provider works), tagged with the session id: the
local backend keeps each conversation's KV cache apart, so a turn after another conversation
used the model evaluates only its new tokens. Used by MicroLLM.session() and, through it, the
CLI chat.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

from chi_llm.application.generation import GenerationService
from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.generation import (
    Chunk,
    Completion,
    GenerationOptions,
    GenerationRequest,
    aclose_stream,
    close_stream,
)
from chi_llm.domain.messages import Message
from chi_llm.domain.tools import ToolCall


class ChatSession:
    """History plus an id. `send`/`stream` (and async twins) run one turn and record it; a
    stream records what was produced even when the consumer stops early. A turn whose answer
    asks for tool calls keeps them; `add_tool_result` answers them, and a turn with no message
    (None) lets the model go on from the results."""

    def __init__(
        self,
        service: GenerationService,
        *,
        system: str | None = None,
        history: list[Message] | None = None,
        session_id: str | None = None,
    ) -> None:
        self.service = service
        self.system = system
        self.history: list[Message] = list(history or [])
        self.id = session_id or secrets.token_hex(16)

    def request(self, message: str | None, options: GenerationOptions | None = None) -> GenerationRequest:
        """The turn's request: the history, then `message` (None: none, after tool results).
        InvalidRequest while the model's last calls wait for results (no provider takes that)."""
        waiting = self.pending_calls()
        if waiting:
            named = ", ".join(f"{call.id!r} ({call.name})" for call in waiting)
            raise InvalidRequest(
                f"the model's tool call(s) {named} wait for their results: give each with "
                "add_tool_result(call_id, content), then continue the chat"
            )
        if message is None:
            if not self.history or self.history[-1].role != "tool":
                raise InvalidRequest(
                    "a turn without a message answers tool results: give a message, or first "
                    "add_tool_result(call_id, content) for the model's calls"
                )
            return replace(self.service.chat_request(self.history, options, system=self.system), session=self.id)
        turns = [*self.history, Message(role="user", content=message)]
        return replace(self.service.chat_request(turns, options, system=self.system), session=self.id)

    def _record(self, message: str | None, reply: str, calls: tuple[ToolCall, ...] = ()) -> None:
        if message is not None:
            self.history.append(Message(role="user", content=message))
        self.history.append(Message(role="assistant", content=reply, tool_calls=calls))

    def send(self, message: str | None, options: GenerationOptions | None = None) -> Completion:
        completion = self.service.generate(self.request(message, options))
        self._record(message, completion.text, completion.tool_calls)
        return completion

    async def asend(self, message: str | None, options: GenerationOptions | None = None) -> Completion:
        completion = await self.service.agenerate(self.request(message, options))
        self._record(message, completion.text, completion.tool_calls)
        return completion

    def pending_calls(self) -> list[ToolCall]:
        """The calls of the last assistant turn that no tool result answers yet."""
        answered: set[str | None] = set()
        for turn in reversed(self.history):
            if turn.role == "assistant":
                return [call for call in turn.tool_calls if call.id not in answered]
            if turn.role != "tool":
                return []
            answered.add(turn.tool_call_id)
        return []

    def add_tool_result(self, call_id: str, content: str, *, is_error: bool = False) -> Message:
        """Answer one of the model's waiting calls (InvalidRequest naming the waiting ones when
        `call_id` is not one of them)."""
        waiting = self.pending_calls()
        call = next((c for c in waiting if c.id == call_id), None)
        if call is None:
            ids = ", ".join(repr(c.id) for c in waiting) or "none"
            raise InvalidRequest(f"no tool call {call_id!r} waits for a result (waiting: {ids})")
        result = Message(role="tool", content=content, tool_call_id=call.id, name=call.name, is_error=is_error)
        self.history.append(result)
        return result

    def stream(self, message: str, options: GenerationOptions | None = None) -> Iterator[Chunk]:
        chunks = self.service.stream(self.request(message, options))
        produced: list[str] = []
        try:
            for chunk in chunks:
                produced.append(chunk.text)
                yield chunk
        finally:
            close_stream(chunks)
            self._record(message, "".join(produced))

    async def astream(self, message: str, options: GenerationOptions | None = None) -> AsyncIterator[Chunk]:
        chunks = self.service.astream(self.request(message, options))
        produced: list[str] = []
        try:
            async for chunk in chunks:
                produced.append(chunk.text)
                yield chunk
        finally:
            await aclose_stream(chunks)
            self._record(message, "".join(produced))

    def reset(self) -> None:
        """Forget the history (the system prompt stays); the backend's cache for it is dropped."""
        self.history.clear()
        self.service.generator.end_session(self.id)

    def close(self) -> None:
        """End the conversation: the backend drops what it kept for it."""
        self.service.generator.end_session(self.id)
