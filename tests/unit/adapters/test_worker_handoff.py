"""Items a job's thread hands an event loop: one wake-up of the loop for items emitted back to
back (the scheduler emits a token per stream in each step), none lost, in order; a closed loop
is said at once and keeps nothing."""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref
from typing import Any

import pytest

from chi_llm.adapters.worker import ModelWorker, handoff, run_async


class Wakes:
    """Counts the loop's call_soon_threadsafe calls."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.count = 0
        real = loop.call_soon_threadsafe

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return real(*args, **kwargs)

        loop.call_soon_threadsafe = counted  # type: ignore[method-assign,assignment]


def from_thread(work: Any) -> None:
    thread = threading.Thread(target=work)
    thread.start()
    thread.join()


def test_items_emitted_back_to_back_wake_the_loop_once_and_arrive_in_order() -> None:
    loop = asyncio.new_event_loop()
    try:
        wakes = Wakes(loop)
        first: asyncio.Queue[object] = asyncio.Queue()
        second: asyncio.Queue[object] = asyncio.Queue()
        to_loop = handoff(loop)

        def emit_ten() -> None:
            for i in range(10):
                to_loop.put(first if i % 2 else second, i)

        from_thread(emit_ten)
        assert wakes.count == 1
        loop.run_until_complete(asyncio.sleep(0))
        assert [first.get_nowait() for _ in range(5)] == [1, 3, 5, 7, 9]
        assert [second.get_nowait() for _ in range(5)] == [0, 2, 4, 6, 8]
        from_thread(lambda: to_loop.put(first, "later"))  # after a delivery: a wake-up of its own
        assert wakes.count == 2
        loop.run_until_complete(asyncio.sleep(0))
        assert first.get_nowait() == "later"
        assert handoff(loop) is to_loop
    finally:
        loop.close()


def test_a_closed_loop_is_said_and_nothing_is_kept_for_it() -> None:
    loop = asyncio.new_event_loop()
    to_loop = handoff(loop)
    loop.close()
    with pytest.raises(RuntimeError):
        to_loop.put(asyncio.Queue(), "lost")
    with pytest.raises(RuntimeError):  # not swallowed as "a wake-up is already pending"
        to_loop.put(asyncio.Queue(), "lost too")
    assert to_loop._pending == []


def test_a_stream_reads_every_item_of_a_job_that_emits_faster_than_the_loop_reads() -> None:
    def work(job: Any) -> None:
        for i in range(2000):
            job.emit(i)

    async def read() -> list[Any]:
        return [item async for item in run_async(ModelWorker("test", once=True), work)]

    assert asyncio.run(read()) == list(range(2000))


def test_a_loop_that_closes_with_a_wake_up_pending_is_said_at_the_next_item() -> None:
    loop = asyncio.new_event_loop()
    to_loop = handoff(loop)
    to_loop.put(asyncio.Queue(), "pending")  # a wake-up is scheduled, never run
    loop.close()
    with pytest.raises(RuntimeError):  # the job is told, and stops decoding
        to_loop.put(asyncio.Queue(), "after")
    assert to_loop._pending == []


def test_a_handoff_does_not_keep_its_loop_alive() -> None:
    loop = asyncio.new_event_loop()
    handoff(loop).put(asyncio.Queue(), "item")
    loop.close()
    gone = weakref.ref(loop)
    del loop
    gc.collect()
    assert gone() is None
