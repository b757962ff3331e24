"""The decode thread of one loaded model: continuous batching over its slots.

Each step is one llama_decode carrying one token per generating sequence (its last sampled one,
plus prompt-lookup drafts when it has some) and the next prompt chunk (PREFILL_CHUNK tokens) of
one sequence still reading its prompt. Requests join at the next step and leave when they end,
so a long prompt never stalls the others for more than a chunk, and a request waits only for a
free slot, not for whole answers. With one KV stream per sequence a sequence's logits, and so its
greedy answer, are the same alone or batched (a test on the real model), provided one step reads
one sequence's prompt: with several prompts of unequal length in one batch llama.cpp splits it
into equal-length micro-batches, and the answers measured differed.

Work that needs the context between steps (a session's export, label scoring) runs through
`call`, on this thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from chi_llm.adapters.llama_cpp.engine.lookup import Drafts, exact_room
from chi_llm.adapters.llama_cpp.engine.native import Entry, NativeContext
from chi_llm.adapters.llama_cpp.engine.requests import Ending, Outcome, Request
from chi_llm.adapters.llama_cpp.engine.sampling import Sampler
from chi_llm.adapters.llama_cpp.engine.slots import Placement, Slot, place
from chi_llm.adapters.llama_cpp.sessions import KvSessions, Snapshot
from chi_llm.adapters.llama_cpp.thread_control import ThreadControl
from chi_llm.domain.errors import GenerationFailed
from chi_llm.domain.generation import ThreadUse

log = logging.getLogger("chi_llm")

PREFILL_CHUNK = 128  # prompt tokens per step (prompt speed was flat from 128 to 512 here)
T = TypeVar("T")


@dataclass(eq=False, slots=True)
class Active:
    """A request decoding in a slot."""

    request: Request
    slot: Slot
    sampler: Sampler
    pending: list[int]  # prompt tokens still to evaluate
    cached: int
    started: float
    changes: int  # the thread controller's change count when it started
    last: int | None = None  # the sampled token, evaluated at the next step
    produced: int = 0
    first: float | None = None
    drafts: Drafts | None = None
    draft: list[int] = field(default_factory=list)  # tokens guessed after `last` this step


class Scheduler:
    """Continuous batching for one model. `submit` and `call` are safe from any thread."""

    def __init__(
        self,
        native: NativeContext,
        vocab: Any,
        *,
        context: int,
        control: ThreadControl,
        sessions: KvSessions,
        name: str,
    ) -> None:
        self.native = native
        self.vocab = vocab
        self.context = context
        self.control = control
        self.sessions = sessions
        self.slots = [Slot(seq) for seq in range(native.slots)]
        self._waiting: deque[Request] = deque()
        self._active: list[Active] = []
        self._tasks: deque[Callable[[], None]] = deque()
        self._ready = threading.Condition()
        self._stopping = False
        self._uses = 0
        self._changes = 0
        self._shape = 0
        self._name = name
        self._thread: threading.Thread | None = None

    # -- from any thread -------------------------------------------------------------------------

    def submit(self, request: Request) -> None:
        with self._ready:
            if self._stopping:
                raise GenerationFailed("the model was unloaded", backend="llama.cpp")
            self._waiting.append(request)
            self._start()
            self._ready.notify()

    def call(self, work: Callable[[], T]) -> T:
        """Run `work` on the scheduler's thread between two steps and return what it returns."""
        if threading.current_thread() is self._thread:
            return work()
        done = threading.Event()
        box: list[Any] = []

        def task() -> None:
            try:
                box.append((True, work()))
            except BaseException as exc:  # handed back to the caller
                box.append((False, exc))
            finally:
                done.set()

        with self._ready:
            if self._stopping:
                raise GenerationFailed("the model was unloaded", backend="llama.cpp")
            self._tasks.append(task)
            self._start()
            self._ready.notify()
        done.wait()
        ok, value = box[0]
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    def wake(self) -> None:
        """Look at cancellations now (a consumer went away while nothing decodes)."""
        with self._ready:
            self._ready.notify()

    def busy(self) -> int:
        """Requests decoding or waiting."""
        with self._ready:
            return len(self._active) + len(self._waiting)

    def stop(self, timeout: float = 5.0) -> None:
        with self._ready:
            self._stopping = True
            for request in self._waiting:
                request.cancelled.set()
            for active in self._active:
                active.request.cancelled.set()
            self._ready.notify()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"chi_llm-decode-{self._name}", daemon=True)
            self._thread.start()

    # -- the scheduler's thread ------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._ready:
                while not (self._tasks or self._active or self._waiting or self._stopping):
                    self._ready.wait()
                tasks = list(self._tasks)
                self._tasks.clear()
                stopping = self._stopping
            for task in tasks:
                task()
            if stopping:
                self._end_all("cancelled")
                with self._ready:
                    for request in self._waiting:
                        self._finish_waiting(request)
                    self._waiting.clear()
                return
            self._admit()
            self._drop_cancelled()
            if self._active:
                self._step()
            elif self._waiting:
                with self._ready:  # everyone waits on a busy conversation slot: nothing to do yet
                    self._ready.wait(0.05)

    def _admit(self) -> None:
        with self._ready:
            waiting = list(self._waiting)
        for request in waiting:
            if request.cancelled.is_set():
                self._remove_waiting(request)
                self._finish_waiting(request)
                continue
            saved = self.sessions.tokens(request.session) if request.session is not None else None
            placement = place(self.slots, request.prompt, request.session, saved)
            if placement is None:
                continue
            self._remove_waiting(request)
            try:
                self._begin(request, placement)
            except Exception as exc:  # a grammar llama.cpp refuses: that request fails, not the thread
                request.on_done(Outcome("error", 0, 0, None, 0.0, error=exc))

    def _remove_waiting(self, request: Request) -> None:
        with self._ready:
            self._waiting.remove(request)

    def _finish_waiting(self, request: Request) -> None:
        request.on_done(Outcome("cancelled", 0, 0, None, 0.0))

    def _begin(self, request: Request, placement: Placement) -> None:
        slot, native = placement.slot, self.native
        sampler = Sampler(self.vocab, request.plan)
        if placement.evict is not None and slot.tokens:
            self.sessions.keep(placement.evict, Snapshot(tuple(slot.tokens), native.save(slot.seq)))
        if placement.restore and request.session is not None:
            saved = self.sessions.take(request.session)
            if saved is not None and native.restore(slot.seq, saved.data):
                slot.tokens = list(saved.tokens)
            else:
                slot.tokens = []
        elif placement.source is not None:
            native.copy(placement.source.seq, slot.seq, placement.keep)
            slot.tokens = placement.source.tokens[: placement.keep]
        keep = min(placement.keep, len(slot.tokens))
        native.drop(slot.seq, keep)
        del slot.tokens[keep:]
        slot.owner = request.session
        slot.busy = True
        self._uses += 1
        slot.used = self._uses
        active = Active(
            request=request,
            slot=slot,
            sampler=sampler,
            pending=request.prompt[keep:],
            cached=keep,
            started=time.perf_counter(),
            changes=self._changes,
        )
        if request.lookup:
            active.drafts = Drafts(request.prompt)
        self._active.append(active)

    def _drop_cancelled(self) -> None:
        for active in list(self._active):
            if active.request.cancelled.is_set():
                self._end(active, "cancelled")

    def _batch(self) -> tuple[list[Entry], list[tuple[Active, list[int]]], Active | None]:
        """This step's entries; each sequence's logits rows; the sequence reading its prompt, if any."""
        entries: list[Entry] = []
        rows: list[tuple[Active, list[int]]] = []
        reading: Active | None = None
        for active in self._active:
            pos = len(active.slot.tokens)
            if active.last is not None:
                active.draft = active.drafts.guess(active.last, room=self._room(active)) if active.drafts else []
                start = len(entries)
                entries.extend(
                    Entry(active.slot.seq, t, pos + i, True) for i, t in enumerate([active.last, *active.draft])
                )
                rows.append((active, list(range(start, len(entries)))))
            elif active.pending and reading is None:
                reading = active
                chunk = active.pending[:PREFILL_CHUNK]
                final = len(chunk) == len(active.pending)
                entries.extend(Entry(active.slot.seq, t, pos + i, False) for i, t in enumerate(chunk))
                if final:
                    entries[-1] = replace(entries[-1], logits=True)
                    rows.append((active, [len(entries) - 1]))
        return entries, rows, reading

    def _step(self) -> None:
        entries, rows, reading = self._batch()
        self.native.set_threads(self.control.threads)  # the count the controller chose after the last step
        started = time.perf_counter()
        try:
            self.native.decode(entries)
        except GenerationFailed as exc:
            for active in list(self._active):
                self._end(active, "error", exc)
            return
        now = time.perf_counter()
        self._pace(now - started, len(entries), reading is not None)
        if reading is not None:
            count = min(PREFILL_CHUNK, len(reading.pending))
            reading.slot.tokens.extend(reading.pending[:count])
            del reading.pending[:count]
        for active, its_rows in rows:
            self._sampled(active, its_rows, now)

    def _room(self, active: Active) -> int:
        """Draft tokens this sequence may add: within its limit, its context, and the cells where a
        several-token step gives the same logits as a token at a time (lookup.exact_room)."""
        held = len(active.slot.tokens)
        left = active.request.limit - active.produced - 1
        cells = self.context - held - 2
        exact = exact_room(held, self.control.threads) - 1  # the count this step runs with
        return max(0, min(left, cells, exact))

    def _sampled(self, active: Active, rows: list[int], now: float) -> None:
        """Sample at `rows` (the last token's, then each draft's): keep drafts while the sample
        equals them. Cells of rejected drafts are freed."""
        if active.last is not None:
            active.slot.tokens.append(active.last)
        if active.first is None:
            active.first = now - active.started
        accepted = 0
        for index, row in enumerate(rows):
            if index > 0:  # the draft token at this row was right: its cells are kept
                accepted += 1
                active.slot.tokens.append(active.draft[index - 1])
            token = active.sampler.sample(self.native.ctx, row)
            ending = self._take(active, token)
            if ending is not None:
                self._fix_cells(active)
                self._end(active, ending)
                return
            if index < len(active.draft) and active.draft[index] == token:
                continue  # guessed right: the draft's row holds the next logits
            active.last = token
            break
        if active.drafts is not None and active.draft:
            active.drafts.judge(len(active.draft), accepted)
        self._fix_cells(active)

    def _take(self, active: Active, token: int) -> Ending | None:
        """A sampled token: how the answer ends with it, or None when it goes on."""
        from llama_cpp import llama_vocab_is_eog

        if llama_vocab_is_eog(self.vocab, token):
            return "stop"
        active.produced += 1
        if active.drafts is not None:
            active.drafts.add(token)
        if not active.request.on_token(token):
            return "stop"
        return "length" if active.produced >= active.request.limit else None

    def _fix_cells(self, active: Active) -> None:
        """Free cells evaluated for drafts that were not kept."""
        if active.draft:
            self.native.drop(active.slot.seq, len(active.slot.tokens))
            active.draft = []

    def _pace(self, seconds: float, shape: int, reading: bool) -> None:
        """Hand a decode-only step's time to the thread controller (applied at the next step)."""
        if reading:
            return
        threads = self.control.observe(seconds, shape)
        if threads != self.native.threads:
            self._changes += 1

    def _end(self, active: Active, ending: Ending, error: BaseException | None = None) -> None:
        self._active.remove(active)
        active.slot.busy = False
        active.sampler.close()
        use = ThreadUse(used=self.native.threads, most=self.control.most, changes=self._changes - active.changes)
        total = time.perf_counter() - active.started
        try:
            active.request.on_done(
                Outcome(ending, active.produced, active.cached, active.first, total, threads=use, error=error)
            )
        except Exception:  # a consumer's callback must not take the decode thread down
            log.exception("a request's completion callback failed")

    def _end_all(self, ending: Ending) -> None:
        for active in list(self._active):
            self._end(active, ending)

    # -- between steps: tasks that use a slot ----------------------------------------------------

    def idle_slot(self) -> Slot | None:
        """A slot no request uses, preferring one no conversation owns (scheduler thread only)."""
        idle = [s for s in self.slots if not s.busy]
        if not idle:
            return None
        slot = max(idle, key=lambda s: (s.owner is None, -s.used))
        if slot.owner is not None and slot.tokens:
            self.sessions.keep(slot.owner, Snapshot(tuple(slot.tokens), self.native.save(slot.seq)))
        slot.owner = None
        return slot

    def export(self, session: str) -> Snapshot | None:
        """`session`'s cells, live or saved (scheduler thread only)."""
        for slot in self.slots:
            if slot.owner == session and slot.tokens:
                return Snapshot(tuple(slot.tokens), self.native.save(slot.seq))
        return self.sessions.get(session)

    def clear(self) -> None:
        """Forget the cells of every idle slot no conversation owns (scheduler thread only)."""
        for slot in self.slots:
            if not slot.busy and slot.owner is None:
                self.native.drop(slot.seq)
                slot.tokens = []

    def forget(self, session: str) -> None:
        """A conversation ended: its cells stay as a prefix cache, owned by no one."""
        self.sessions.forget(session)
        for slot in self.slots:
            if slot.owner == session:
                slot.owner = None
