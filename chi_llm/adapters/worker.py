"""A job thread with a FIFO queue, consumed from sync code or asyncio: one per local generation
(it waits on the model's scheduler, after preparing the request when it is async, which decodes every request of the
model on one thread: llama.cpp's CPU thread pools belong to the thread that calls it, and
decoding one model from several threads ran 1.6-1.8x slower), and one per async stream of the
fake adapter (threaded.py). Callers read a job's chunks from a queue: a stream nobody reads
never holds the model, a second call from the same thread never deadlocks, and a withdrawn job
leaves the queue at once (or stops after the current step).
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

END = object()  # the last item a job emits


@dataclass(eq=False)
class Job:
    """One generation: `work(job)` runs on the worker thread and reports through `emit` (chunks,
    then an exception if one was raised); the worker emits END last. `cancelled` is set when the
    consumer goes away."""

    work: Callable[[Job], None]
    emit: Callable[[object], None]
    cancelled: threading.Event = field(default_factory=threading.Event)


class ModelWorker:
    """A daemon thread with a FIFO queue of jobs, started on the first job."""

    def __init__(self, name: str, *, once: bool = False) -> None:
        self.name = name
        self._once = once  # the thread ends after its first job
        self._jobs: deque[Job] = deque()
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def submit(self, job: Job) -> None:
        with self._ready:
            if self._stopping:
                raise RuntimeError("the model was unloaded")
            self._jobs.append(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=f"chi_llm-{self.name}", daemon=True)
                self._thread.start()
            self._ready.notify()

    def withdraw(self, job: Job) -> None:
        """The consumer is gone: drop the job if it is still queued, else stop it after the current token."""
        job.cancelled.set()
        with self._ready:
            if job in self._jobs:
                self._jobs.remove(job)

    def queued(self) -> int:
        with self._ready:
            return len(self._jobs)

    def stop(self, timeout: float = 5.0) -> None:
        """Cancel what is queued and running, and let the thread end (waits at most `timeout`)."""
        with self._ready:
            self._stopping = True
            for job in self._jobs:
                job.cancelled.set()
            self._jobs.clear()
            self._ready.notify()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _next(self) -> Job | None:
        with self._ready:
            while not self._jobs and not self._stopping:
                self._ready.wait()
            return self._jobs.popleft() if self._jobs else None

    def _run(self) -> None:
        while (job := self._next()) is not None:
            if job.cancelled.is_set():
                continue
            try:
                job.work(job)
            except BaseException as exc:  # handed to the consumer, which re-raises it
                job.emit(exc)
            finally:
                job.emit(END)
            if self._once:
                return


def one_off(name: str) -> ModelWorker:
    """A thread for one job (a local generation waiting on its model's scheduler), ending with it."""
    return ModelWorker(name, once=True)


def received(item: object) -> object:
    """What a job emitted, as its consumer sees it: an exception is raised there."""
    if isinstance(item, BaseException):
        raise item
    return item


def run_sync(worker: ModelWorker, work: Callable[[Job], None]) -> Iterator[Any]:
    """Submit `work` when first iterated and yield what it emits; closing the iterator (or
    Ctrl-C while waiting) withdraws the job."""
    items: queue.SimpleQueue[object] = queue.SimpleQueue()
    job = Job(work=work, emit=items.put)
    worker.submit(job)
    try:
        while (item := received(items.get())) is not END:
            yield item
    finally:
        worker.withdraw(job)


class Handoff:
    """Items bound for one event loop's queues from other threads, with at most one wake-up of the
    loop pending. The model's scheduler emits a token for each stream it decodes in one step, back
    to back: the loop then wakes once for all of them instead of once each (every wake-up writes
    to the loop's self-pipe from the decode thread, between two steps of the model)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = weakref.ref(loop)  # the registry of handoffs must not keep loops alive
        self._lock = threading.Lock()
        self._pending: list[tuple[asyncio.Queue[object], object]] = []
        self._scheduled = False

    def put(self, items: asyncio.Queue[object], item: object) -> None:
        """Hand `item` to `items`; RuntimeError when the loop is closed (or gone), also when it
        closed with a wake-up pending: the emitting job then stops instead of decoding for nobody."""
        loop = self._loop()
        with self._lock:
            if loop is None or loop.is_closed():
                self._pending.clear()
                self._scheduled = False
                raise RuntimeError("the event loop is closed")
            self._pending.append((items, item))
            if self._scheduled:
                return
            self._scheduled = True
        try:
            loop.call_soon_threadsafe(self._deliver)
        except RuntimeError:
            with self._lock:
                self._pending.clear()
                self._scheduled = False
            raise

    def _deliver(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
            self._scheduled = False
        for items, item in pending:
            items.put_nowait(item)


_handoffs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Handoff] = weakref.WeakKeyDictionary()
_handoffs_lock = threading.Lock()


def _after_fork_in_child() -> None:
    """A forked child has only the forking thread: a lock another thread held at the fork would
    never be released there, so every lock here starts afresh (items not yet delivered belong to
    the parent's streams)."""
    global _handoffs_lock
    _handoffs_lock = threading.Lock()
    for found in list(_handoffs.values()):
        found._lock = threading.Lock()
        found._pending = []
        found._scheduled = False


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def handoff(loop: asyncio.AbstractEventLoop) -> Handoff:
    """The loop's Handoff (one per loop, gone with it)."""
    with _handoffs_lock:
        found = _handoffs.get(loop)
        if found is None:
            found = _handoffs[loop] = Handoff(loop)
        return found


async def run_async(worker: ModelWorker, work: Callable[[Job], None]) -> AsyncIterator[Any]:
    """`run_sync` for asyncio: the event loop only waits on a queue, never on the model."""
    to_loop = handoff(asyncio.get_running_loop())
    items: asyncio.Queue[object] = asyncio.Queue()

    def emit(item: object) -> None:
        try:
            to_loop.put(items, item)
        except RuntimeError:  # the loop closed under us; nobody is listening any more
            job.cancelled.set()

    job = Job(work=work, emit=emit)
    worker.submit(job)
    try:
        while (item := received(await items.get())) is not END:
            yield item
    finally:
        worker.withdraw(job)
