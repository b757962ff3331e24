"""Bounded concurrency per model: a local llama.cpp model decodes up to its `parallel` requests
together (a remote provider's model takes `Limits.parallel`), so further requests queue; a full
queue is refused at once (429), a request that waited too long gets 503, both with a Retry-After
estimated from how long recent requests held the model."""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field
from typing import Any

from chi_llm.entrypoints.server.errors import HttpError

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
    """At most `concurrency` requests at once and `queue` more waiting, for one model."""

    def __init__(self, name: str, *, concurrency: int, queue: int, timeout: float) -> None:
        self.name = name
        self.concurrency = concurrency
        self.queue = queue
        self.timeout = timeout
        self.active = 0
        self.waiting = 0
        self._hold = 1.0  # running average of seconds a request holds a slot
        self._slots = asyncio.Semaphore(concurrency)

    def retry_after(self) -> int:
        """Seconds until a place is likely free: the queue ahead times the average hold."""
        ahead = (self.waiting + 1) / self.concurrency
        return max(1, math.ceil(ahead * self._hold))

    async def enter(self, stopping: asyncio.Event | None = None) -> Ticket:
        """Wait for a slot. Raises HttpError 429 when the queue is full, 503 after `timeout`
        seconds in the queue or when the server starts shutting down."""
        if not self._slots.locked():
            await self._slots.acquire()  # a free slot: taken at once, without yielding to others
        else:
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
                await self._acquire(stopping)
            finally:
                self.waiting -= 1
        self.active += 1
        return Ticket(self)

    async def _acquire(self, stopping: asyncio.Event | None) -> None:
        acquire: asyncio.Future[Any] = asyncio.ensure_future(self._slots.acquire())
        stop: asyncio.Future[Any] = asyncio.ensure_future(stopping.wait() if stopping else asyncio.Event().wait())
        try:
            await asyncio.wait({acquire, stop}, timeout=self.timeout, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:  # the caller was cancelled (its client left)
            self._abandon(acquire)
            raise
        finally:
            stop.cancel()
        if not acquire.done():
            self._abandon(acquire)
            why = "the server is shutting down" if stopping is not None and stopping.is_set() else None
            raise HttpError(
                503,
                why or f"{self.name} is busy: waited {self.timeout:g} s in the queue; retry later",
                type="server_error",
                code="shutting_down" if why else "queue_timeout",
                retry_after=self.retry_after(),
            )

    def _abandon(self, acquire: asyncio.Future[Any]) -> None:
        """Give up a wait; a slot granted meanwhile (or while the cancellation is on its way) is
        given back, so an abandoned wait never keeps one."""

        def give_back(done: asyncio.Future[Any]) -> None:
            if not done.cancelled() and done.exception() is None:
                self._slots.release()

        if acquire.done():
            give_back(acquire)
        else:
            acquire.cancel()
            acquire.add_done_callback(give_back)

    def _release(self, held: float) -> None:
        self.active -= 1
        self._hold = (1 - SMOOTHING) * self._hold + SMOOTHING * held
        self._slots.release()

    def status(self) -> dict[str, object]:
        return {"running": self.active, "waiting": self.waiting, "concurrency": self.concurrency, "queue": self.queue}
