"""How an answer is written on the wire: one `Format` per API (OpenAI chat and completions here;
the Responses and Messages APIs in their own modules). The pipeline in `handlers` (routing, the
gate, limits, cancellation on disconnect, request ids, the access log) is the same for every
format; a format only turns a whole Completion into a JSON body and a stream of Chunks into
server-sent events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from chi_llm.domain.generation import Chunk, Completion, Usage
from chi_llm.entrypoints.server.replies import Reply
from chi_llm.entrypoints.server.streams import events


class Format(Protocol):
    """One API's answer shape for one request (made by the handler once the backend is known)."""

    def whole(self, done: Completion) -> dict[str, Any]:
        """The JSON body of an answer that did not stream."""
        ...

    def events(
        self, chunks: AsyncIterator[Chunk], *, stopping: asyncio.Event, done: Callable[[Usage | None], None]
    ) -> AsyncIterator[bytes]:
        """The SSE body of a streamed answer; `done` gets the usage once the answer ended; when
        `stopping` is set the stream ends saying the server is shutting down."""
        ...


@dataclass(frozen=True, slots=True)
class OpenAIFormat:
    """OpenAI's chat completions (`chat`) or legacy completions."""

    reply: Reply
    include_usage: bool = False

    def whole(self, done: Completion) -> dict[str, Any]:
        return self.reply.whole(done)

    def events(
        self, chunks: AsyncIterator[Chunk], *, stopping: asyncio.Event, done: Callable[[Usage | None], None]
    ) -> AsyncIterator[bytes]:
        return events(self.reply, chunks, include_usage=self.include_usage, stopping=stopping, done=done)


def openai(chat: bool, include_usage: bool) -> Callable[[str], Format]:
    """The OpenAI format for a backend named `model`."""
    return lambda model: OpenAIFormat(Reply(model=model, chat=chat), include_usage)
