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
from chi_llm.domain.generation import (
    Chunk,
    Completion,
    GenerationOptions,
    GenerationRequest,
    aclose_stream,
    close_stream,
)
from chi_llm.domain.messages import Message


class ChatSession:
    """History plus an id. `send`/`stream` (and async twins) run one turn and record it; a
    stream records what was produced even when the consumer stops early."""

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

    def request(self, message: str, options: GenerationOptions | None = None) -> GenerationRequest:
        turns = [*self.history, Message(role="user", content=message)]
        return replace(self.service.chat_request(turns, options, system=self.system), session=self.id)

    def _record(self, message: str, reply: str) -> None:
        self.history += [Message(role="user", content=message), Message(role="assistant", content=reply)]

    def send(self, message: str, options: GenerationOptions | None = None) -> Completion:
        completion = self.service.generate(self.request(message, options))
        self._record(message, completion.text)
        return completion

    async def asend(self, message: str, options: GenerationOptions | None = None) -> Completion:
        completion = await self.service.agenerate(self.request(message, options))
        self._record(message, completion.text)
        return completion

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
