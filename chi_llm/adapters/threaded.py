"""Run a blocking chunk iterator on a thread of its own and consume it from asyncio (the fake
adapter's async side; llama.cpp keeps one such thread per model instead, see worker.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import cast

from chi_llm.adapters.worker import Job, ModelWorker, run_async
from chi_llm.domain.generation import Chunk, aclose_stream, close_stream


async def stream_in_thread(open_stream: Callable[[], Iterator[Chunk]]) -> AsyncIterator[Chunk]:
    """Yield the chunks of `open_stream()` without blocking the event loop.

    When the consumer stops early (break, aclose, task cancellation) the thread closes the
    blocking iterator after at most one more chunk, which stops decoding.
    """

    def work(job: Job) -> None:
        chunks = open_stream()
        try:
            for chunk in chunks:
                if job.cancelled.is_set():
                    break
                job.emit(chunk)
        finally:
            close_stream(chunks)

    worker = ModelWorker("stream")
    chunks = run_async(worker, work)
    try:
        async for chunk in chunks:
            yield cast(Chunk, chunk)
    finally:
        await aclose_stream(chunks)
        worker.stop(timeout=0)  # the thread ends once its one job has
