"""Bounded concurrency per model: a local llama.cpp model runs as many requests at once as its
engine has slots (a remote provider's model takes `Limits.parallel`), so further requests queue;
a full queue is refused at once (429), a request that waited too long gets 503, both with a
Retry-After estimated from how long recent requests held the model."""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from chi_llm.entrypoints.server.errors import HttpError

FIRST = asyncio.FIRST_COMPLETED
SMOOTHING = 0.2  # weight of the newest hold time in the running average


@dataclass(slots=True)
class Ticket:
    """A held slot; `leave` (idempotent) gives it back."""

    gate: Gate
    started: float = field(default_factory=time.monotonic)
    left: bool = False

    def leave(self) -> None:
        if not self.left:
            self.left = True
            self.gate._release(time.monotonic() - self.started)


class Gate:
    """At most `concurrency` requests at once and `queue` more waiting, for one model. The size
    may change while requests run and wait (`resize`): places are handed to waiters in arrival
    order whenever fewer than `concurrency` are held."""

    def __init__(self, name: str, *, concurrency: int, queue: int, timeout: float) -> None:
        self.name = name
        self.concurrency = concurrency
        self.queue = queue
        self.timeout = timeout
        self.active = 0  # places held (a waiter handed one holds it from then on)
        self.waiting = 0
        self._hold = 1.0  # running average of seconds a request holds a slot
        self._waiters: deque[asyncio.Future[None]] = deque()  # waits not yet handed a place, oldest first

    def resize(self, concurrency: int) -> None:
        """Hold `concurrency` requests at once from now on: a larger size lets waiters in at once;
        a smaller one stops none that runs, and lets no one in until fewer than it run."""
        if concurrency < 1:
            raise ValueError(f"a gate holds at least 1 request, got {concurrency}")
        self.concurrency = concurrency
        self._hand_out()

    def retry_after(self) -> int:
        """Seconds until a place is likely free: the queue ahead times the average hold."""
        ahead = (self.waiting + 1) / self.concurrency
        return max(1, math.ceil(ahead * self._hold))

    async def enter(self, stopping: asyncio.Event | None = None) -> Ticket:
        """Wait for a slot. Raises HttpError 429 when the queue is full, 503 after `timeout`
        seconds in the queue or when the server starts shutting down."""
        if self.active < self.concurrency and not self._waiters:
            self.active += 1  # a free place: taken at once, without yielding to others
            return Ticket(self)
        if self.waiting >= self.queue:
            raise HttpError(
                429,
                f"{self.name} is busy ({self.active} running, {self.waiting} waiting); retry later",
                type="rate_limit_error",
                code="queue_full",
                retry_after=self.retry_after(),
            )
        self.waiting += 1
        try:
            await self._wait(stopping)
        finally:
            self.waiting -= 1
        return Ticket(self)

    async def _wait(self, stopping: asyncio.Event | None) -> None:
        place: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(place)
        stop: asyncio.Future[Any] | None = asyncio.ensure_future(stopping.wait()) if stopping is not None else None
        awaited: set[asyncio.Future[Any]] = {place} if stop is None else {place, stop}
        try:
            await asyncio.wait(awaited, timeout=self.timeout, return_when=FIRST)
        except BaseException:  # the caller was cancelled (its client left)
            self._abandon(place)
            raise
        finally:
            if stop is not None:
                stop.cancel()
        if not place.done():
            self._abandon(place)
            why = "the server is shutting down" if stopping is not None and stopping.is_set() else None
            raise HttpError(
                503,
                why or f"{self.name} is busy: waited {self.timeout:g} s in the queue; retry later",
                type="server_error",
                code="shutting_down" if why else "queue_timeout",
                retry_after=self.retry_after(),
            )

    def _abandon(self, place: asyncio.Future[None]) -> None:
        """Give up a wait; a place handed to it meanwhile goes to the next waiter, so an
        abandoned wait never keeps one."""
        if place.done():
            self._free()
        else:
            self._waiters.remove(place)
            place.cancel()

    def _release(self, held: float) -> None:
        self._hold = (1 - SMOOTHING) * self._hold + SMOOTHING * held
        self._free()

    def _free(self) -> None:
        self.active -= 1
        self._hand_out()

    def _hand_out(self) -> None:
        """Free places to the oldest waiters (all on the event loop: handing out and giving back
        never interleave)."""
        while self._waiters and self.active < self.concurrency:
            self.active += 1
            self._waiters.popleft().set_result(None)

    def status(self) -> dict[str, object]:
        return {"running": self.active, "waiting": self.waiting, "concurrency": self.concurrency, "queue": self.queue}
