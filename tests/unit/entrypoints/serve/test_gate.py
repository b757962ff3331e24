"""The per-model gate on its own: slots, the bounded queue, timeouts, shutdown, and waits
abandoned at any moment never keeping a slot."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chi_llm.entrypoints.server.errors import HttpError
from chi_llm.entrypoints.server.gate import Gate


async def test_one_at_a_time_then_queue_then_refuse() -> None:
    gate = Gate("m", concurrency=1, queue=1, timeout=5)
    first = await gate.enter()
    second = asyncio.ensure_future(gate.enter())
    await asyncio.sleep(0.01)
    assert (gate.active, gate.waiting) == (1, 1)
    with pytest.raises(HttpError) as full:
        await gate.enter()
    assert full.value.status == 429 and full.value.retry_after is not None and full.value.retry_after >= 1
    first.leave()
    first.leave()  # idempotent
    ticket = await second
    assert (gate.active, gate.waiting) == (1, 0)
    ticket.leave()
    assert gate.active == 0


async def test_waiting_too_long_is_503_and_shutdown_ends_the_wait() -> None:
    gate = Gate("m", concurrency=1, queue=4, timeout=0.1)
    held = await gate.enter()
    with pytest.raises(HttpError) as late:
        await gate.enter()
    assert (late.value.status, late.value.code) == (503, "queue_timeout")
    stopping = asyncio.Event()
    gate.timeout = 30
    waiter = asyncio.ensure_future(gate.enter(stopping))
    await asyncio.sleep(0.01)
    stopping.set()
    with pytest.raises(HttpError) as stopped:
        await waiter
    assert (stopped.value.status, stopped.value.code) == (503, "shutting_down")
    held.leave()
    again = await asyncio.wait_for(gate.enter(), 1)  # nothing leaked: the slot is free
    again.leave()


async def test_retry_after_follows_how_long_requests_hold_the_slot() -> None:
    gate = Gate("m", concurrency=1, queue=8, timeout=5)
    for _ in range(30):
        ticket = await gate.enter()
        ticket.started -= 10  # as if it had held the model for 10 s
        ticket.leave()
    assert gate.retry_after() >= 9


@given(delays=st.lists(st.floats(min_value=0, max_value=0.004), min_size=1, max_size=6))
def test_abandoned_waits_never_keep_a_slot(delays: list[float]) -> None:
    async def scenario() -> None:
        gate = Gate("m", concurrency=1, queue=len(delays), timeout=5)
        held = await gate.enter()
        waiters = [asyncio.ensure_future(gate.enter()) for _ in delays]
        await asyncio.sleep(0)
        release = asyncio.get_running_loop().call_later(0.002, held.leave)
        for waiter, delay in zip(waiters, delays, strict=True):
            await asyncio.sleep(delay)
            waiter.cancel()
        for waiter in waiters:
            with contextlib.suppress(asyncio.CancelledError):
                (await waiter).leave()
        release.cancel()
        held.leave()
        assert gate.active == 0 and gate.waiting == 0
        tickets = [await asyncio.wait_for(gate.enter(), 1)]  # the one slot is there, and only one
        gate.queue = 0
        with pytest.raises(HttpError):
            await gate.enter()
        for ticket in tickets:
            ticket.leave()

    asyncio.run(scenario())


async def test_requests_arriving_together_are_bounded_by_the_queue() -> None:
    gate = Gate("m", concurrency=2, queue=3, timeout=0.2)
    results = await asyncio.gather(*(gate.enter() for _ in range(10)), return_exceptions=True)
    held = [r for r in results if not isinstance(r, BaseException)]
    statuses = sorted(r.status for r in results if isinstance(r, HttpError))
    assert len(held) == 2 and statuses == [429] * 5 + [503] * 3
    for ticket in held:
        ticket.leave()
