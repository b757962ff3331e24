"""The decode thread of one loaded model: continuous batching over its slots.

Each step is one llama_decode carrying one token per generating sequence (its last sampled one,
plus prompt-lookup drafts when it has some), then the prompt chunks of joining sequences, each
in a llama_decode of its own (PREFILL_CHUNK tokens of a long prompt; several short prompts
arriving together all in the same step). Requests join at the next step and leave when they
end, so a long prompt never stalls the others for more than a chunk, and a request waits only
for a free slot, not for whole answers. With one KV stream per sequence, and a prompt never in a
batch with other sequences' rows (llama.cpp would cut it into micro-batches as long as theirs),
a sequence's logits, and so its greedy answer, are the same alone or batched (tested on the real
model) while it holds fewer than 256 cells, or with one thread: past that, llama.cpp's CPU
attention splits a lone sequence's single token across threads in KV chunks (its
`use_split_kv_path`, from 512 padded cells), and sums in another order than for a batch.

Work that needs the context between steps (a session's export, label scoring) runs through
`call`, on this thread.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from chi_llm.adapters.llama_cpp.engine.lookup import MIN_RATE, Drafts, exact_room
from chi_llm.adapters.llama_cpp.engine.native import Entry, NativeContext
from chi_llm.adapters.llama_cpp.engine.requests import Active, Ending, Outcome, Request, deliver
from chi_llm.adapters.llama_cpp.engine.row_cost import RowCost
from chi_llm.adapters.llama_cpp.engine.sampling import Sampler
from chi_llm.adapters.llama_cpp.engine.slot_tasks import SlotTasks
from chi_llm.adapters.llama_cpp.engine.slots import CPU_GRID, Placement, Slot, place
from chi_llm.adapters.llama_cpp.sessions import KvSessions, Snapshot
from chi_llm.adapters.llama_cpp.thread_control import ThreadControl
from chi_llm.domain.errors import ChiLlmError, ContextLengthExceeded, GenerationFailed, InvalidRequest
from chi_llm.domain.generation import ThreadUse

log = logging.getLogger("chi_llm")

PREFILL_CHUNK = 128  # prompt tokens per step on a CPU (prompt speed was flat from 128 to 512 here)
PREFILL_WHOLE = 256  # ... when every prompt in it is read whole (requests arriving together)
GPU_SCALE = 4  # with layers on a GPU a step of 4x the tokens costs little more: 512 and 1024
T = TypeVar("T")


_schedulers: weakref.WeakSet[Scheduler] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    """A forked child has none of its parent's threads: each scheduler starts afresh on its next
    request (one handed to a thread that did not survive the fork would wait forever), and the
    slots the parent's requests held are free."""
    for scheduler in list(_schedulers):
        scheduler._reset_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class Scheduler(SlotTasks):
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
        gpu: bool = False,
    ) -> None:
        self.native = native
        self.vocab = vocab
        self.context = context
        self.control = control
        self.sessions = sessions
        grid = CPU_GRID.scaled(GPU_SCALE) if gpu else CPU_GRID  # where prompt chunks end (slots.Grid)
        self.slots = [Slot(seq, grid=grid) for seq in range(native.slots)]
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
        self._started = 0.0  # when the last llama_decode began
        self._costs = RowCost()  # what a draft row costs here: drafts rest where they do not pay
        self._break_even = MIN_RATE
        self.gpu = gpu
        self.chunk = PREFILL_CHUNK * (GPU_SCALE if gpu else 1)
        self._whole = PREFILL_WHOLE * (GPU_SCALE if gpu else 1)
        _schedulers.add(self)

    def _reset_after_fork(self) -> None:
        self._ready = threading.Condition()
        self.sessions.reset_lock()
        self._thread = None
        self._waiting.clear()
        self._tasks.clear()
        self._active.clear()
        for slot in self.slots:
            if slot.busy:
                slot.busy = False
                slot.tokens = []
                self.native.drop(slot.seq)

    # -- from any thread -------------------------------------------------------------------------

    def submit(self, request: Request) -> None:
        self._enqueue(self._waiting, request)

    def _enqueue(self, queue: deque[Any], item: Any) -> None:
        """Hand the decode thread a request or a task (starting it on first use)."""
        with self._ready:
            if self._stopping:
                raise GenerationFailed("the model was unloaded; send the request again", backend="llama.cpp")
            queue.append(item)
            self._start()
            self._ready.notify()

    def call(self, work: Callable[[], T]) -> T:
        """Run `work` on the scheduler's thread between two steps and return what it returns. Not
        from the scheduler's own thread (a token callback): there it would run mid-step."""
        if threading.current_thread() is self._thread:
            raise RuntimeError("Scheduler.call from the scheduler's own thread would run in the middle of a step")
        done = threading.Event()
        box: list[Any] = []

        def task() -> None:
            try:
                box.append((True, work()))
            except BaseException as exc:  # handed back to the caller
                box.append((False, exc))
            finally:
                done.set()

        self._enqueue(self._tasks, task)
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

    def stop(self, timeout: float = 5.0) -> bool:
        """End every request after the current step and let the thread end (see _unloaded). False
        when it still runs after `timeout` (a long step): its context must then stay open."""
        with self._ready:
            self._stopping = True
            self._ready.notify()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            return not thread.is_alive()
        return thread is None

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
                self._unloaded()
                return
            stepped = False
            try:
                self._admit()
                self._drop_cancelled()
                if stepped := bool(self._active):
                    self._step()
            except Exception as exc:  # a fault in a step: its requests fail, the thread goes on
                log.exception("a decode step failed")
                self._fail_all(exc)
                continue
            if not stepped and self._waiting:
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
            if not 0 < len(request.prompt) < self.context:  # decoding it would fail the whole batch
                self._remove_waiting(request)
                self._refuse(request)
                continue
            try:
                saved = self.sessions.get(request.session) if request.session is not None else None
                placement = place(self.slots, request.prompt, request.session, saved)
                if placement is None:
                    continue
                self._remove_waiting(request)
                self._begin(request, placement)
            except Exception as exc:  # a grammar llama.cpp refuses: that request fails, not the others
                with self._ready:
                    if request in self._waiting:
                        self._waiting.remove(request)
                deliver(request, Outcome("error", 0, 0, None, 0.0, error=exc))

    def _unloaded(self) -> None:
        """The model is unloading: every request, decoding or waiting, fails saying so (an answer
        cut short must not pass for a whole one)."""
        error = GenerationFailed(
            "the model was unloaded before this answer was complete; send the request again", backend="llama.cpp"
        )
        for active in list(self._active):
            self._end(active, "error", error)
        with self._ready:
            waiting = list(self._waiting)
            self._waiting.clear()
        for request in waiting:
            deliver(request, Outcome("error", 0, 0, None, 0.0, error=error))

    def _refuse(self, request: Request) -> None:
        """A prompt that is empty or leaves no room to answer in its sequence fails alone."""
        error: ChiLlmError = (
            InvalidRequest("the prompt is empty: there is nothing to continue", backend="llama.cpp")
            if not request.prompt
            else ContextLengthExceeded(prompt_tokens=len(request.prompt), context=self.context, backend="llama.cpp")
        )
        deliver(request, Outcome("error", 0, 0, None, 0.0, error=error))

    def _remove_waiting(self, request: Request) -> None:
        with self._ready:
            self._waiting.remove(request)

    def _finish_waiting(self, request: Request) -> None:
        deliver(request, Outcome("cancelled", 0, 0, None, 0.0))

    def _begin(self, request: Request, placement: Placement) -> None:
        slot = placement.slot
        sampler = Sampler(self.vocab, request.plan)  # first: a grammar llama.cpp refuses changes nothing
        try:
            keep = self._prepare_slot(request, placement)
        except BaseException:
            sampler.close()
            raise
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
            started=request.submitted,
            changes=self._changes,
        )
        if request.lookup:
            active.drafts = Drafts(request.prompt)
        self._active.append(active)

    def _prepare_slot(self, request: Request, placement: Placement) -> int:
        """Save the evicted conversation, restore or copy cells, drop the rest; the cells kept."""
        slot, native = placement.slot, self.native
        if placement.evict is not None and slot.tokens:
            self.sessions.keep(placement.evict, Snapshot(tuple(slot.tokens), native.save(slot.seq), slot.exact))
        if placement.restore and request.session is not None:
            saved = self.sessions.take(request.session)
            if saved is not None and native.restore(slot.seq, saved.data):
                slot.tokens = list(saved.tokens)
                slot.exact = slot.grid.floor(min(saved.exact, len(slot.tokens)))
            else:
                slot.tokens = []
        elif placement.source is not None:
            source = placement.source
            copied = native.copy(source.seq, slot.seq, placement.keep)
            slot.tokens = source.tokens[: placement.keep] if copied else []
            slot.exact = slot.grid.floor(min(source.exact, len(slot.tokens)))  # the same bytes
        keep = min(placement.keep, len(slot.tokens))
        native.drop(slot.seq, keep)
        slot.cut(keep)
        return keep

    def _drop_cancelled(self) -> None:
        for active in list(self._active):
            if active.request.cancelled.is_set():
                self._end(active, "cancelled")

    def _batch(self) -> tuple[list[Entry], list[tuple[Active, list[int]]]]:
        """The generating sequences' entries (each its last token, plus drafts) and logits rows."""
        entries: list[Entry] = []
        rows: list[tuple[Active, list[int]]] = []
        for active in self._active:
            if active.last is not None:
                pos = len(active.slot.tokens)
                drafts = active.drafts
                active.draft = drafts.guess(active.last, room=self._room(active)) if drafts else []
                start = len(entries)
                tokens = [active.last, *active.draft]
                entries.extend(Entry(active.slot.seq, t, pos + i, True) for i, t in enumerate(tokens))
                rows.append((active, list(range(start, len(entries)))))
        return entries, rows

    def _pieces(self, active: Active) -> list[tuple[list[Entry], list[int]]]:
        """The chunks of a prompt read this step, each ending on the slot's grid (so cells come out
        as a fresh read gives them: slots.Grid), within `chunk` tokens (the first always), each
        with the row of its prompt's last token when it is in it."""
        slot, pending = active.slot, active.pending
        pos = len(slot.tokens)
        pieces: list[tuple[list[Entry], list[int]]] = []
        taken = 0
        while taken < len(pending):
            end = min(slot.grid.next(pos + taken) - pos, len(pending))
            if pieces and end > self.chunk:
                break
            last = end == len(pending)  # its prompt's last token: its logits are sampled
            entries = [Entry(slot.seq, pending[i], pos + i, last and i == end - 1) for i in range(taken, end)]
            pieces.append((entries, [len(entries) - 1] if last else []))
            taken = end
        return pieces

    def _readers(self) -> list[Active]:
        """Whose prompt is read this step: the first waiting one's next chunk, alone when its prompt
        goes on after it; else with the whole rest of other prompts (each within a chunk), within
        PREFILL_WHOLE tokens."""
        pending = [a for a in self._active if a.last is None and a.pending]
        if not pending:
            return []
        first = pending[0]
        if len(first.pending) > self.chunk:
            return [first]
        reading, room = [first], self._whole - len(first.pending)
        for active in pending[1:]:
            if len(active.pending) <= min(room, self.chunk):
                reading.append(active)
                room -= len(active.pending)
        return reading

    def _step(self) -> None:
        """Decode one token (and drafts) of every generating sequence, then each prompt chunk of
        this step in a llama_decode of its own: in one batch llama.cpp cuts sequences of unequal
        length into equal-length micro-batches, and an answer whose prompt was cut so measured
        different from the same prompt read alone."""
        reading = self._readers()
        entries, rows = self._batch()
        self.native.set_threads(self.control.threads)  # the count the controller chose after the last step
        if entries and self._decode(entries):
            now = time.perf_counter()
            drafting = any(len(its_rows) > 1 for _, its_rows in rows)
            self._pace(now - self._started, len(entries), bool(reading) or drafting)
            sequences, threads, cells = len(rows), self.native.threads, max(len(a.slot.tokens) for a, _ in rows)
            self._costs.observe(sequences, len(entries), threads, cells, now - self._started)
            self._break_even = self._costs.break_even(sequences, threads, cells)
            for active, its_rows in rows:
                self._sampled(active, its_rows, now)
        for active in reading:  # each prompt chunk in a llama_decode of its own (see above)
            if active not in self._active:
                continue
            self.native.set_threads(self.control.settled)  # not a step a try at fewer threads times
            for prompt, its_rows in self._pieces(active):
                if not self._decode(prompt):
                    return
                del active.pending[: len(prompt)]
                active.slot.read([e.token for e in prompt])
                if its_rows:
                    self._sampled(active, its_rows, time.perf_counter())

    def _decode(self, entries: list[Entry]) -> bool:
        """One llama_decode; on failure every request ends with the error (False)."""
        self._started = time.perf_counter()
        try:
            self.native.decode(entries)
        except GenerationFailed as exc:
            for active in list(self._active):
                self._end(active, "error", exc)
            return False
        return True

    def _room(self, active: Active) -> int:
        """Draft tokens this sequence may add: within its limit, its context, and the cells where a
        several-token step gives the same logits as a token at a time (lookup.exact_room; with
        layers on a GPU that was not verified, so no drafts there)."""
        if self.gpu:
            return 0
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
            active.drafts.judge(len(active.draft), accepted, self._break_even)
        self._fix_cells(active)

    def _take(self, active: Active, token: int) -> Ending | None:
        """A sampled token: how the answer ends with it, or None when it goes on."""
        from llama_cpp import llama_vocab_is_eog

        if llama_vocab_is_eog(self.vocab, token):
            return "stop"
        active.produced += 1
        if active.drafts is not None:
            active.drafts.add(token)
        try:
            go_on = active.request.on_token(token)
        except Exception as exc:  # the consumer's callback broke: its request fails, not the thread
            active.error = exc
            return "error"
        if not go_on:
            return "stop"
        return "length" if active.produced >= active.request.limit else None

    def _fix_cells(self, active: Active) -> None:
        """Free cells evaluated for drafts that were not kept."""
        if active.draft:
            self.native.drop(active.slot.seq, len(active.slot.tokens))
            active.draft = []

    def _pace(self, seconds: float, shape: int, skip: bool) -> None:
        """Hand the time of a step of one token per sequence to the thread controller (its choice
        applies from the next step). Steps reading prompts or checking drafts are not comparable
        (their sizes change step by step) and are skipped."""
        if skip:
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
        error = error or active.error
        deliver(
            active.request,
            Outcome(ending, active.produced, active.cached, active.first, total, threads=use, error=error),
        )

    def _fail_all(self, error: BaseException) -> None:
        """End every active request with `error`; their cells may be half written, so they are
        dropped (a conversation's next turn evaluates its history again)."""
        for active in list(self._active):
            self.native.drop(active.slot.seq)
            active.slot.tokens = []
            active.slot.owner = None
            self._end(active, "error", error)
