"""Draftless speculation (prompt lookup): guess the next tokens by finding the answer's last few
tokens earlier in the prompt or the answer, and proposing what followed them there. The guesses
are evaluated in the same step as the token before them; every one the sampler would have drawn
anyway is kept, so greedy output is exactly what decoding without guesses gives.

A guess costs a batch row, so a request whose guesses keep failing stops guessing (the
acceptance rate below which verifying loses was measured by benchmarks/bench_batching.py).
"""

from __future__ import annotations

from collections.abc import Sequence

DRAFT_MAX = 10  # tokens guessed at once
NGRAMS = (3, 2)  # lengths of the tail looked up, longest first
JUDGE_AFTER = 24  # guessed tokens before the rate is judged
MIN_RATE = 0.35  # accepted / guessed below which guessing stops for the request


class Drafts:
    """The lookup table of one request: where each n-gram of its prompt and answer last began."""

    def __init__(self, prompt: Sequence[int]) -> None:
        self.history: list[int] = []
        self._seen: dict[tuple[int, ...], int] = {}
        self.guessed = 0
        self.accepted = 0
        self.off = False
        for token in prompt:
            self.add(token)

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
            if at is not None and at < len(history):
                return history[at : at + min(DRAFT_MAX, room)]
        return []

    def judge(self, guessed: int, accepted: int) -> None:
        """Record how a guess went; stop guessing when they do not pay."""
        self.guessed += guessed
        self.accepted += accepted
        if self.guessed >= JUDGE_AFTER and self.accepted < MIN_RATE * self.guessed:
            self.off = True
