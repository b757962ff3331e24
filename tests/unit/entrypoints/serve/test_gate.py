"""The per-model gate on its own: slots, the bounded queue, timeouts, shutdown, and waits
abandoned at any moment never keeping a slot."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

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


async def test_shrinking_lets_no_one_in_until_enough_have_left() -> None:
    gate = Gate("m", concurrency=4, queue=4, timeout=5)
    running = [await gate.enter() for _ in range(3)]
    gate.resize(2)  # e.g. the engine admitted 2 slots: the 3 running finish, no new one starts
    assert gate.status()["concurrency"] == 2
    late = asyncio.ensure_future(gate.enter())
    await asyncio.sleep(0.01)
    assert (gate.active, gate.waiting) == (3, 1)
    running.pop().leave()
    await asyncio.sleep(0.01)
    assert not late.done() and gate.active == 2  # 2 still run: the place that left is not one
    running.pop().leave()
    ticket = await asyncio.wait_for(late, 1)  # 1 runs: the place is free
    assert (gate.active, gate.waiting) == (2, 0)
    for held in (ticket, *running):
        held.leave()
    assert gate.active == 0


async def test_growing_lets_the_queue_in_at_once() -> None:
    gate = Gate("m", concurrency=1, queue=4, timeout=5)
    first = await gate.enter()
    waiters = [asyncio.ensure_future(gate.enter()) for _ in range(3)]
    await asyncio.sleep(0.01)
    gate.resize(3)
    tickets = list(await asyncio.wait_for(asyncio.gather(waiters[0], waiters[1]), 1))
    await asyncio.sleep(0.01)
    assert not waiters[2].done() and (gate.active, gate.waiting) == (3, 1)
    first.leave()
    tickets.append(await asyncio.wait_for(waiters[2], 1))
    for ticket in tickets:
        ticket.leave()
    assert (gate.active, gate.waiting) == (0, 0)
    with pytest.raises(ValueError, match="at least 1"):
        gate.resize(0)


Step = tuple[str, int]
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("enter"), st.just(0)),
        st.tuples(st.sampled_from(["leave", "cancel", "leave+cancel"]), st.integers(0, 7)),
        st.tuples(st.just("resize"), st.integers(1, 4)),
    ),
    max_size=30,
)


class Crowd:
    """Requests at a gate, driven one step at a time: those holding a place and those waiting."""

    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        self.held: list[Any] = []
        self.waiting: list[asyncio.Future[Any]] = []

    def act(self, action: str, index: int) -> None:
        if action == "enter":
            self.waiting.append(asyncio.ensure_future(self.gate.enter()))
        elif action == "resize":
            self.gate.resize(index)
        elif action == "leave" and self.held:
            self.held.pop(index % len(self.held)).leave()
        elif action == "cancel" and self.waiting:
            self.waiting[index % len(self.waiting)].cancel()
        elif action == "leave+cancel" and self.held and self.waiting:  # the place handed on is abandoned at once
            self.held.pop(index % len(self.held)).leave()
            self.waiting[0].cancel()

    async def settle(self) -> None:
        for _ in range(10):  # the step's effects have run
            await asyncio.sleep(0)
        for waiter in [w for w in self.waiting if w.done()]:
            self.waiting.remove(waiter)
            if not waiter.cancelled() and waiter.exception() is None:
                self.held.append(waiter.result())


@given(steps=STEPS)
def test_resizing_while_requests_run_and_wait_neither_loses_nor_adds_a_place(steps: list[Step]) -> None:
    """Whatever mix of arrivals, departures, abandoned waits and resizes: the gate counts exactly
    the places held, lets a place go unused only when none is free, and never lets one in past
    its size."""

    async def scenario() -> None:
        gate = Gate("m", concurrency=2, queue=8, timeout=30)
        crowd = Crowd(gate)
        for action, index in steps:
            before = len(crowd.held)
            crowd.act(action, index)
            await crowd.settle()
            assert gate.active == len(crowd.held) and gate.waiting == len(crowd.waiting)
            if crowd.waiting:  # someone waits: no place is free
                assert len(crowd.held) >= gate.concurrency
            if len(crowd.held) > before:  # someone got in: within the size
                assert len(crowd.held) <= gate.concurrency
        for waiter in crowd.waiting:
            waiter.cancel()
        await asyncio.gather(*crowd.waiting, return_exceptions=True)
        for ticket in crowd.held:
            ticket.leave()
        assert (gate.active, gate.waiting) == (0, 0)

    asyncio.run(scenario())
