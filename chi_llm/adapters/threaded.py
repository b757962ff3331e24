"""Run a blocking chunk iterator in a worker thread and consume it from asyncio."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import cast

from chi_llm.domain.generation import Chunk, close_stream

_END = object()


def _produce(
    open_stream: Callable[[], Iterator[Chunk]], hand_over: Callable[[object], None], stop: threading.Event
) -> None:
    """The worker: hand each chunk over until told to stop, then close the blocking iterator."""
    try:
        chunks = open_stream()
        try:
            for chunk in chunks:
                if stop.is_set():
                    break
                hand_over(chunk)
        finally:
            close_stream(chunks)
    except BaseException as exc:  # handed to the consumer, which re-raises it
        hand_over(exc)
    else:
        hand_over(_END)


async def stream_in_thread(open_stream: Callable[[], Iterator[Chunk]]) -> AsyncIterator[Chunk]:
    """Yield the chunks of `open_stream()` without blocking the event loop.

    When the consumer stops early (break, aclose, task cancellation) the worker is told to stop
    and closes the blocking iterator after at most one more chunk, which stops decoding.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue()
    stop = threading.Event()

    def hand_over(item: object) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the loop closed under us; nobody is listening any more
            stop.set()

    worker = threading.Thread(target=_produce, args=(open_stream, hand_over, stop), name="chi_llm-stream", daemon=True)
    worker.start()
    try:
        while True:
            item = await queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield cast(Chunk, item)
    finally:
        stop.set()
