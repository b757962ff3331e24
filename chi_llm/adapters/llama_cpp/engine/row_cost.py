"""What a draft row costs on this machine, measured step by step, so that prompt-lookup drafts
run only where they win here.

A step of n sequences, one token each, takes T(n); with k draft rows more it takes about
T(n) + k * m. A drafted token is worth its row when it is kept with a probability above
m / (T(n) / n): the row's time over the time a token of that batch costs without drafts. That
ratio depends on the machine (0.55-0.75 on one day of this 2-core VM, near 1 on another, where
a row of a step costs as much as a step: then drafts only lose) and on the thread count, so it is
measured: every plain step updates T(n) for its (n, threads), every drafted step the marginal
row time m for its thread count, both as running averages. Steps grow slower as a context
fills, and drafts happen only in part of it (with several threads, below lookup.EXACT_CELLS
cells), so both are kept per SPAN cells of the longest sequence in the step: a drafted step is
compared with plain steps as long. Until both are known from MIN_STEPS steps each, the prior
(lookup.MIN_RATE) stands. The class never reads a clock: tests drive it with made-up times.
"""

from __future__ import annotations

from typing import TypeVar

from chi_llm.adapters.llama_cpp.engine.lookup import MIN_RATE

SMOOTHING = 0.1  # weight of the newest step in the running averages
SPAN = 256  # cells of context whose steps are compared together
MIN_STEPS = 4  # steps of each kind measured before the measurement replaces the prior
K = TypeVar("K")


class RowCost:
    """Running averages of plain step times per (sequences, threads, span of cells) and of a
    draft row's marginal time per (threads, span of cells)."""

    def __init__(self) -> None:
        self._plain: dict[tuple[int, int, int], float] = {}
        self._row: dict[tuple[int, int], float] = {}
        self._steps: dict[object, int] = {}

    def observe(self, sequences: int, rows: int, threads: int, cells: int, seconds: float) -> None:
        """A generation step of `sequences` sequences and `rows` rows (drafts beyond one a
        sequence), the longest of them holding `cells` cells."""
        if sequences < 1 or seconds <= 0:
            return
        span = cells // SPAN
        if rows <= sequences:
            self._average(self._plain, (sequences, threads, span), seconds)
            return
        base = self._plain.get((sequences, threads, span))
        if base is not None:
            self._average(self._row, (threads, span), max(0.0, seconds - base) / (rows - sequences))

    def break_even(self, sequences: int, threads: int, cells: int) -> float:
        """The share of drafted tokens that must be kept for drafts to pay in a step of
        `sequences` sequences, the longest holding `cells` cells: above 1, they cannot."""
        span = cells // SPAN
        plain, row = (sequences, threads, span), (threads, span)
        if min(self._steps.get(plain, 0), self._steps.get(row, 0)) < MIN_STEPS:
            return MIN_RATE
        return self._row[row] * sequences / self._plain[plain]

    def _average(self, values: dict[K, float], key: K, value: float) -> None:
        known = values.get(key)
        values[key] = value if known is None else (1 - SMOOTHING) * known + SMOOTHING * value
        self._steps[key] = self._steps.get(key, 0) + 1
