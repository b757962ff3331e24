"""How many CPU threads llama.cpp decodes with, chosen token by token from measured token times.

Why: this llama.cpp build runs its CPU work on an OpenMP team whose threads meet at a barrier
after every graph node (hundreds per token) and busy-wait there. When another process takes a
core, the thread left without one holds up every barrier while its partner spins: on a 2-core
machine with one CPU-bound neighbour, 2 threads fell from 120.7 to 31.2 tok/s while 1 thread
kept 57.6. With 1 thread there is no barrier at all, so nothing spins.

How: decode with the most threads (physical cores) while that is fastest. Now and then (after
the first window, then 32 tokens, 64, ... up to every 1024) try one window at one thread fewer
(below the most: one more) and keep that count when it is faster; a failed try doubles the wait
before the next. When a window runs clearly slower than the best one seen at its count (a
neighbour started), try one thread fewer at once; below the most, when a window runs as fast as
that count ran on a calm machine, or clearly faster than ever before (the neighbour left), try
one thread more at once. A try is one short window, so on an idle
machine they cost about 1% of the first thousand tokens and far less after (measured by
benchmarks/busy_decode.py). Busy-waiting itself stays as llama.cpp sets it: making the team
sleep at every barrier (OMP_WAIT_POLICY=passive) helps a busy machine but is process-wide,
fixed when the library loads, and costs the idle machine a futex wake-up per barrier.

Token times go in through `observe`; the class never reads a clock, so tests drive it with
made-up times.
"""

from __future__ import annotations

import statistics

WINDOW = 5  # tokens per measurement (their median, so one hiccup does not decide)
SLOWER = 1.3  # a window this much slower than the best seen at that count suggests contention
BETTER = 1.08  # a probe must be this much faster to be kept (noise is not a reason to move)
CALM = 1.1  # below the most, a window within this of the calm pace at that count: try one more
FASTER = 1.15  # below the most, a window this much faster than the best so far: try one more
FIRST_RETRY = 32  # tokens below the most before trying one thread more, doubling up to LAST_RETRY
LAST_RETRY = 1024


class ThreadControl:
    """The thread count for the next token. `fixed`: the user chose the count; never change it."""

    def __init__(self, most: int, *, fixed: bool = False) -> None:
        self.most = max(1, most)
        self.threads = self.most
        self.fixed = fixed
        self._best: dict[int, float] = {}
        # Pace at a count when a try showed more threads faster (the machine had cores to spare).
        self._calm: dict[int, float] = {}
        self._times: list[float] = []
        self._skip = 0  # the first token after a change warms the new team up; not measured
        self._steady = 0.0  # median of the last window at the kept count
        # While a try runs: the kept count, its pace, whether its calm pace prompted the try.
        self._probe_from: tuple[int, float, bool] | None = None
        self._retry = FIRST_RETRY
        self._since_retry = FIRST_RETRY  # the first window is followed by a try at once

    @property
    def contended(self) -> bool:
        """Decoding runs on fewer threads than it would on an idle machine."""
        return self.threads < self.most

    def observe(self, seconds: float) -> int:
        """One token took `seconds` at `self.threads`; returns the count for the next token."""
        if self.fixed or self.most == 1:
            return self.threads
        if self._skip:
            self._skip -= 1
            return self.threads
        self._times.append(seconds)
        if self._probe_from is None:
            self._since_retry += 1
        if len(self._times) < WINDOW:
            return self.threads
        window = statistics.median(self._times)
        self._times.clear()
        if self._probe_from is not None:
            self._judge_probe(window, *self._probe_from)
        else:
            self._steady_window(window)
        return self.threads

    def _steady_window(self, window: float) -> None:
        best = self._best.get(self.threads)
        if best is None or window < best:
            self._best[self.threads] = window
        self._steady = window
        if best is not None and window > best * SLOWER and self.threads > 1:
            self._probe(self.threads - 1)
        elif self.threads < self.most and self._since_retry >= 2 * WINDOW and self._calmer(window, best):
            self._probe(self.threads + 1, calm=True)
        elif self._since_retry >= self._retry:
            self._retry = min(self._retry * 2, LAST_RETRY)
            self._probe(self.threads + 1 if self.threads < self.most else self.threads - 1)

    def _calmer(self, window: float, best: float | None) -> bool:
        """The neighbour seems gone: this count runs as it did on a calm machine, or faster than ever."""
        calm = self._calm.get(self.threads)
        return (calm is not None and window <= calm * CALM) or (best is not None and window * FASTER < best)

    def _probe(self, threads: int, *, calm: bool = False) -> None:
        self._probe_from = (self.threads, self._steady, calm)
        self._since_retry = 0
        self._switch(threads)

    def _judge_probe(self, window: float, kept: int, steady: float, calm: bool) -> None:
        self._probe_from = None
        if window * BETTER < steady:  # the probed count is faster: keep it
            self._retry = FIRST_RETRY  # things changed: look again soon
            self._best[self.threads] = min(self._best.get(self.threads, window), window)
            self._steady = window
            return
        if self.threads < kept:
            self._calm[self.threads] = min(self._calm.get(self.threads, window), window)
        elif calm:  # the calm pace at `kept` did not mean the neighbour left: stop trusting it
            self._calm.pop(kept, None)
        best = self._best.get(kept)
        if self.threads < kept and best is not None and steady > best * SLOWER:
            # Fewer threads did not help: the slowdown is something else (a longer context, a
            # grammar); what is slow now is the new normal at this count.
            self._best[kept] = steady
        self._switch(kept)

    def _switch(self, threads: int) -> None:
        self.threads = threads
        self._times.clear()
        self._skip = 1
