"""Draftless speculation (prompt lookup): guess the next tokens by finding the answer's last few
tokens earlier in the prompt or the answer, and proposing what followed them there. The guesses
are evaluated in the same step as the token before them; every one the sampler would have drawn
anyway is kept, so greedy output is exactly what decoding without guesses gives.

A guessed token costs a batch row: on a 2-core CPU with the embedded model each row of a step
cost 0.55-0.75 of a one-token step (so a guess pays only when most of it is kept). So guesses
start short, double while they are kept whole and shrink to what was kept after a miss; a
request whose recent guesses were mostly wrong (a window of WINDOW guessed tokens kept less
often than a row costs: row_cost.RowCost measures it, MIN_RATE until then) rests for a while,
each poor window doubling the rest. The constants were chosen by
replaying the greedy answers of benchmarks/bench_lookup.py's six kinds through this policy at
those costs, then checked with the benchmark itself.

Exactness, measured on llama.cpp's CPU backend (the tests in tests/integration/adapters): a
several-token step gives a sequence bit-identical logits to one token at a time, with these
exceptions, which the scheduler keeps drafts out of: past EXACT_CELLS cells with more than one
thread, llama.cpp's attention for a lone token takes another path whose sums differ (from cell
256 on with 2 threads, never with 1); and a sequence's rows from 64 on in one step differ too
(DRAFT_MAX stays far below).
"""

from __future__ import annotations

from collections.abc import Sequence

DRAFT_START = 2  # tokens guessed at first, and after a rest
DRAFT_MAX = 16  # tokens guessed at once at most (a sequence's rows in one step stay under 64)
NGRAMS = (4, 3)  # lengths of the tail looked up, longest first (two tokens matched too often by chance)
WINDOW = 16  # guessed tokens judged together
MIN_RATE = 0.65  # kept / guessed below which a request rests, until row_cost.RowCost has measured it here
REST = 16  # tokens without guessing after the first poor window (doubling after each)
EXACT_CELLS = 256  # with several threads, drafts stay within this many cells (see above)


def exact_room(cells: int, threads: int) -> int:
    """Rows a sequence holding `cells` cells may evaluate in one step (its token and drafts) with
    logits bit-identical to a token at a time; a large number when any are."""
    return 1 << 30 if threads <= 1 else EXACT_CELLS - cells


class Drafts:
    """The lookup table of one request: where each n-gram of its prompt and answer last began."""

    def __init__(self, prompt: Sequence[int]) -> None:
        self.history: list[int] = []
        self._seen: dict[tuple[int, ...], int] = {}
        self.size = DRAFT_START
        self.guessed = 0  # in the current window
        self.accepted = 0
        self.rest = REST  # the next rest's length
        self.resting_until = 0  # no guesses before the history reaches this length
        for token in prompt:
            self.add(token)

    @property
    def off(self) -> bool:
        """Resting after poor guesses."""
        return len(self.history) < self.resting_until

    def add(self, token: int) -> None:
        """Append a token of the prompt or the answer (index the n-grams ending before it)."""
        history = self.history
        history.append(token)
        end = len(history) - 1  # n-grams ending just before this token point at it
        for n in NGRAMS:
            if end >= n:
                self._seen[tuple(history[end - n : end])] = end

    def guess(self, last: int, room: int) -> list[int]:
        """Tokens likely to follow the history (whose newest token is `last`), at most `room`."""
        if self.off or room <= 0 or not self.history or self.history[-1] != last:
            return []
        history = self.history
        for n in NGRAMS:
            if len(history) < n + 1:
                continue
            at = self._seen.get(tuple(history[-n:]))
            if at is not None:
                return history[at : at + min(self.size, room)]
        return []

    def judge(self, guessed: int, accepted: int, break_even: float = MIN_RATE) -> None:
        """Record how a guess went: size the next one, and rest when recent guesses do not pay
        (fewer kept than `break_even` of those guessed: row_cost.RowCost measures it)."""
        self.size = min(self.size * 2, DRAFT_MAX) if accepted == guessed else max(1, accepted)
        self.guessed += guessed
        self.accepted += accepted
        if self.guessed < WINDOW:
            return
        if self.accepted < break_even * self.guessed:
            self.resting_until = len(self.history) + self.rest
            self.rest *= 2
            self.size = DRAFT_START
        else:
            self.rest = REST
        self.guessed = self.accepted = 0
