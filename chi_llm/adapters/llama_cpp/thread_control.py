"""How many CPU threads llama.cpp decodes with, chosen step by step from measured step times.

Why: this llama.cpp build runs its CPU work on an OpenMP team whose threads meet at a barrier
after every graph node (hundreds per token) and busy-wait there. When another process takes a
core, the thread left without one holds up every barrier while its partner spins: on a 2-core
machine with one CPU-bound neighbour, 2 threads fell from 120.7 to 31.2 tok/s while 1 thread
kept 57.6. With 1 thread there is no barrier at all, so nothing spins.

How: decode with the most threads (physical cores) while that is fastest. Now and then (after
the first window, then 32 steps, 64, ... up to every 1024) try one window at one thread fewer
(below the most: one more) and keep that count when it is faster; a failed try doubles the wait
before the next, and a try whose first EARLY steps are all clearly slower ends there. When a
window runs clearly slower than the best one seen at its count (a neighbour started), try one
thread fewer at once; below the most, when a window runs as fast as that count ran on a calm
machine, or clearly faster than ever before (the neighbour left), try one thread more at once.
A try is one short window, so on an idle machine they cost about 1% of the first thousand
tokens and far less after (measured by
benchmarks/busy_decode.py). Busy-waiting itself stays as llama.cpp sets it: making the team
sleep at every barrier (OMP_WAIT_POLICY=passive) helps a busy machine but is process-wide,
fixed when the library loads, and costs the idle machine a futex wake-up per barrier.

Step times go in through `observe`, with the step's shape: how many sequences it decoded (one
token each; steps that carry prompt tokens are not observed). A four-sequence step takes longer
than a one-sequence step by nature, so everything compared (the best window, the calm pace, the
pace a try is judged against) is kept per (shape, threads), and a window holds steps of one shape:
a shape change drops the window so far, and abandons a try (back to the kept count, judged neither
way, tried again when next due). The tries' schedule counts steps whatever their shape. The class
never reads a clock, so tests drive it with made-up times.
"""

from __future__ import annotations

import statistics

WINDOW = 5  # steps per measurement (their median, so one hiccup does not decide)
EARLY = 2  # a try whose first this many steps are all clearly slower ends there (lost)
SLOWER = 1.3  # a window this much slower than the best seen at that count suggests contention
BETTER = 1.08  # a probe must be this much faster to be kept (noise is not a reason to move)
CALM = 1.1  # below the most, a window within this of the calm pace at that count: try one more
FASTER = 1.15  # below the most, a window this much faster than the best so far: try one more
FIRST_RETRY = 32  # steps below the most before trying one thread more, doubling up to LAST_RETRY
LAST_RETRY = 1024


class ThreadControl:
    """The thread count for the next step. `fixed`: the user chose the count; never change it."""

    def __init__(self, most: int, *, fixed: bool = False) -> None:
        self.most = max(1, most)
        self.threads = self.most
        self.fixed = fixed
        # Keyed by (shape, threads): a step's shape is how many sequences it decoded.
        self._best: dict[tuple[int, int], float] = {}
        # Pace at a count when a try showed more threads faster (the machine had cores to spare).
        self._calm: dict[tuple[int, int], float] = {}
        self._shape = 1  # of the steps in `_times`
        self._times: list[float] = []
        self._skip = 0  # the first step after a change warms the new team up; not measured
        self._steady = 0.0  # median of the last window at the kept count (a try starts right after one)
        # While a try runs: the kept count, its pace, whether its calm pace prompted the try, and
        # the schedule before it (restored when a shape change abandons the try).
        self._probe_from: tuple[int, float, bool] | None = None
        self._schedule_before = (FIRST_RETRY, FIRST_RETRY)
        self._retry = FIRST_RETRY
        self._since_retry = FIRST_RETRY  # the first window is followed by a try at once

    @property
    def contended(self) -> bool:
        """Decoding runs on fewer threads than it would on an idle machine."""
        return self.threads < self.most

    @property
    def settled(self) -> int:
        """The count for work not measured (prompt chunks, draft checks): the kept count while a
        try runs, so a try at fewer threads slows only the steps it times."""
        return self._probe_from[0] if self._probe_from is not None else self.threads

    def observe(self, seconds: float, shape: int = 1) -> int:
        """One step of `shape` sequences took `seconds` at `self.threads`; returns the count for the
        next step."""
        if self.fixed or self.most == 1:
            return self.threads
        if shape != self._shape and self._reshape(shape):
            return self.threads  # this step ran on the abandoned try's count: not measured
        if self._skip:
            self._skip -= 1
            return self.threads
        self._times.append(seconds)
        if self._probe_from is None:
            self._since_retry += 1
        elif len(self._times) == EARLY and min(self._times) > self._probe_from[1] * SLOWER:
            # clearly slower from its first steps (one thread fewer on an idle machine took about
            # twice as long for four sequences): judged lost now rather than after a whole window
            self._judge_probe(statistics.median(self._times), *self._probe_from)  # lost: back, times cleared
            return self.threads
        if len(self._times) < WINDOW:
            return self.threads
        window = statistics.median(self._times)
        self._times.clear()
        if self._probe_from is not None:
            self._judge_probe(window, *self._probe_from)
        else:
            self._steady_window(window)
        return self.threads

    def _reshape(self, shape: int) -> bool:
        """Sequences joined or left: drop the window so far. A try running is abandoned (True)."""
        self._shape = shape
        self._times.clear()
        if self._probe_from is None:
            return False
        kept = self._probe_from[0]
        self._probe_from = None
        self._retry, self._since_retry = self._schedule_before
        self._switch(kept)
        return True

    def _steady_window(self, window: float) -> None:
        best = self._best.get((self._shape, self.threads))
        if best is None or window < best:
            self._best[(self._shape, self.threads)] = window
        self._steady = window
        if best is not None and window > best * SLOWER and self.threads > 1:
            self._probe(self.threads - 1)
        elif self.threads < self.most and self._since_retry >= 2 * WINDOW and self._calmer(window, best):
            self._probe(self.threads + 1, calm=True)
        elif self._since_retry >= self._retry:
            retry = self._retry
            self._retry = min(self._retry * 2, LAST_RETRY)
            self._probe(self.threads + 1 if self.threads < self.most else self.threads - 1, retry=retry)

    def _calmer(self, window: float, best: float | None) -> bool:
        """The neighbour seems gone: this count runs as it did on a calm machine, or faster than ever."""
        calm = self._calm.get((self._shape, self.threads))
        return (calm is not None and window <= calm * CALM) or (best is not None and window * FASTER < best)

    def _probe(self, threads: int, *, calm: bool = False, retry: int | None = None) -> None:
        """Try `threads` for one window; `retry`: the wait that made this try due (the schedule's)."""
        self._schedule_before = (self._retry if retry is None else retry, self._since_retry)
        self._probe_from = (self.threads, self._steady, calm)
        self._since_retry = 0
        self._switch(threads)

    def _judge_probe(self, window: float, kept: int, steady: float, calm: bool) -> None:
        self._probe_from = None
        if window * BETTER < steady:  # the probed count is faster: keep it
            self._retry = FIRST_RETRY  # things changed: look again soon
            here = (self._shape, self.threads)
            self._best[here] = min(self._best.get(here, window), window)
            self._steady = window
            return
        if self.threads < kept:
            here = (self._shape, self.threads)
            self._calm[here] = min(self._calm.get(here, window), window)
        elif calm:  # the calm pace at `kept` did not mean the neighbour left: stop trusting it
            self._calm.pop((self._shape, kept), None)
        best = self._best.get((self._shape, kept))
        if self.threads < kept and best is not None and steady > best * SLOWER:
            # Fewer threads did not help: the slowdown is something else (a longer context, a
            # grammar); what is slow now is the new normal at this count.
            self._best[(self._shape, kept)] = steady
        self._switch(kept)

    def _switch(self, threads: int) -> None:
        self.threads = threads
        self._times.clear()
        self._skip = 1
