"""What a draft row costs on this machine, measured step by step, so that prompt-lookup drafts
run only where they win here.

A step of n sequences, one token each, takes T(n); with k draft rows more it takes about
T(n) + k * m. A drafted token is worth its row when it is kept with a probability above
m / (T(n) / n): the row's time over the time a token of that batch costs without drafts. That
ratio depends on the machine (0.55-0.75 on one day of this 2-core VM, near 1 on another, where
a row of a step costs as much as a step: then drafts only lose) and on the thread count, so it is
measured: every plain step updates T(n) for its (n, threads), every drafted step the marginal
row time m for its thread count, both as running averages. Until both are known, the prior
(lookup.MIN_RATE) stands. The class never reads a clock: tests drive it with made-up times.
"""

from __future__ import annotations

from typing import TypeVar

from chi_llm.adapters.llama_cpp.engine.lookup import MIN_RATE

SMOOTHING = 0.1  # weight of the newest step in the running averages
K = TypeVar("K")


class RowCost:
    """Running averages of plain step times per (sequences, threads) and of a draft row's
    marginal time per thread count."""

    def __init__(self) -> None:
        self._plain: dict[tuple[int, int], float] = {}
        self._row: dict[int, float] = {}

    def observe(self, sequences: int, rows: int, threads: int, seconds: float) -> None:
        """A generation step of `sequences` sequences and `rows` rows (drafts beyond one a sequence)."""
        if sequences < 1 or seconds <= 0:
            return
        if rows <= sequences:
            _average(self._plain, (sequences, threads), seconds)
            return
        base = self._plain.get((sequences, threads))
        if base is not None:
            _average(self._row, threads, max(0.0, seconds - base) / (rows - sequences))

    def break_even(self, sequences: int, threads: int) -> float:
        """The share of drafted tokens that must be kept for drafts to pay in a step of
        `sequences` sequences: above 1, they cannot."""
        base = self._plain.get((sequences, threads))
        row = self._row.get(threads)
        if base is None or row is None:
            return MIN_RATE
        return row * sequences / base


def _average(values: dict[K, float], key: K, value: float) -> None:
    known = values.get(key)
    values[key] = value if known is None else (1 - SMOOTHING) * known + SMOOTHING * value
