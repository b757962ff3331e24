"""Answers that outlive the handler: server-sent events with a clean end, and awaiting work
while watching for the client to go away (a gone client cancels its decoding)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import anyio
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from chi_llm.domain.generation import Chunk, Usage
from chi_llm.entrypoints.server.errors import SHUTTING_DOWN, failure
from chi_llm.entrypoints.server.gate import Gate, Ticket
from chi_llm.entrypoints.server.replies import DONE, CallFragments, Reply, sse

T = TypeVar("T")


class ClientGone(Exception):
    """The client disconnected before its answer was ready."""


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def unless_gone(request: Request, work: Awaitable[T], undo: Callable[[T], object] | None = None) -> T:
    """The result of `work`, or ClientGone (with `work` cancelled) when the client leaves first.
    `undo` takes a result that `work` produced but nobody will receive: the caller was cancelled
    (a shutdown, a dropped connection) as, or after, `work` ended."""
    task = asyncio.ensure_future(work)
    watch = asyncio.ensure_future(_disconnected(request.receive))
    try:
        try:
            await asyncio.wait({task, watch}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            watch.cancel()
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
    except BaseException:  # cancelled while waiting, or while `work` was being cancelled
        if undo is not None:
            task.add_done_callback(lambda done: _undone(done, undo))
        raise
    if task.cancelled():
        raise ClientGone()
    return task.result()


def _undone(task: asyncio.Future[T], undo: Callable[[T], object]) -> None:
    if not task.cancelled() and task.exception() is None:
        undo(task.result())


async def entered(request: Request, gate: Gate, stopping: asyncio.Event | None) -> Ticket:
    """A place at `gate`, unless the client leaves first; a place won as the caller is cancelled
    is given back."""
    return await unless_gone(request, gate.enter(stopping), undo=Ticket.leave)


class EventStream(StreamingResponse):
    """`text/event-stream` that always runs `cleanup` (stop decoding, give the slot back) when
    the stream ends, fails or the client disconnects, even when it never started."""

    def __init__(
        self,
        events: AsyncIterator[bytes],
        cleanup: Callable[[], Awaitable[None]],
        headers: dict[str, str],
        gone: Callable[[], None] = lambda: None,
    ) -> None:
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", **headers}
        super().__init__(events, media_type="text/event-stream", headers=headers)
        self._cleanup = cleanup
        self._gone = gone

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Stream until the events end or the client leaves; `gone` is told when the client
        left (or a write to it failed) before the last event was sent."""
        sent = False
        try:
            async with anyio.create_task_group() as group:

                async def stream_then_stop() -> None:
                    nonlocal sent
                    with contextlib.suppress(OSError):  # the client went away mid-write
                        await self.stream_response(send)
                        sent = True
                    group.cancel_scope.cancel()

                group.start_soon(stream_then_stop)
                await self.listen_for_disconnect(receive)
                group.cancel_scope.cancel()
        finally:
            if not sent:
                self._gone()
            with anyio.CancelScope(shield=True):
                await self.body_iterator.aclose()  # type: ignore[attr-defined]
                await self._cleanup()


async def events(
    reply: Reply,
    chunks: AsyncIterator[Chunk],
    *,
    include_usage: bool,
    stopping: asyncio.Event,
    done: Callable[[Usage | None], None],
) -> AsyncIterator[bytes]:
    """The SSE body of a streamed answer: deltas (text, tool-call fragments), a last chunk with
    the finish reason, the usage chunk when asked, `[DONE]`. A failure after the first token ends
    the stream with OpenAI's error event; a shutdown past its grace period says so instead of
    stopping silently."""
    opened = False
    fragments = CallFragments()
    try:
        async for chunk in chunks:
            if stopping.is_set():
                yield sse(SHUTTING_DOWN.body())
                return
            if chunk.text or chunk.tool_calls or not opened:
                yield sse(reply.delta(chunk.text, first=not opened, calls=fragments.of(chunk.tool_calls)))
                opened = True
            if chunk.finish_reason is not None:
                done(chunk.usage)
                yield sse(reply.delta("", finish=chunk.finish_reason))
                if include_usage:
                    yield sse(reply.usage_chunk(chunk.usage))
                yield DONE
                return
    except Exception as error:  # a failure after the first token: said in the stream, not a cut connection
        yield sse(failure(error).body())
