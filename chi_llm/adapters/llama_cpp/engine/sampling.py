"""A sampler per sequence, sampling as llama-cpp-python's `Llama` does (so answers keep their
character): repeat penalty over the last 64 tokens, the grammar, then greedy at temperature 0,
else top-k, typical (off), top-p, min-p, temperature and a seeded draw.

The repeat penalty and greedy sampling run here, on the logits row in place, instead of in
llama.cpp's sampler chain: its penalty sampler looks every one of the vocabulary's tokens up in
a hash map, and its chain first copies the whole row into candidates, about 250 us per token
with a 49k vocabulary against about 15 us here, which with four sequences was 4 % of every
step. The arithmetic is llama.cpp's own, in float32 (`logit <= 0` multiplied by the penalty,
else divided; the first of equal maxima wins), so the tokens are the same (a test compares them
with the chain). The rest (grammar, top-k and the draw) stays in the chain, after the penalty.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chi_llm.adapters.llama_cpp.engine.native import logits_row
from chi_llm.domain.errors import GenerationFailed

if TYPE_CHECKING:  # numpy comes with llama.cpp, at the first sample (not when the adapter is built)
    import numpy as np

PENALTY_LAST_N = 64  # llama-cpp-python's last_n_tokens_size


@dataclass(frozen=True, slots=True)
class SamplingPlan:
    """What one sequence samples with."""

    temperature: float
    top_k: int
    top_p: float
    min_p: float
    repeat_penalty: float
    seed: int
    grammar: str | None = None  # GBNF, already accepted by llama.cpp (grammar.grammar_for)

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0 and self.grammar is None


class Penalty:
    """llama.cpp's repeat penalty (`llama_sampler_init_penalties(n, 64, penalty, 0, 0)`) over the
    last PENALTY_LAST_N tokens sampled, applied to a logits row in place."""

    def __init__(self, penalty: float) -> None:
        import numpy as np

        self._penalty = np.float32(penalty)  # llama.cpp keeps it as a float
        self._recent: deque[int] = deque()
        self._counts: dict[int, int] = {}

    def apply(self, logits: np.ndarray[Any, np.dtype[np.float32]]) -> None:
        if not self._counts:
            return
        import numpy as np

        ids = np.fromiter(self._counts, dtype=np.intp, count=len(self._counts))
        values = logits[ids]
        logits[ids] = np.where(values <= 0, values * self._penalty, values / self._penalty)

    def accept(self, token: int) -> None:
        self._counts[token] = self._counts.get(token, 0) + 1
        if len(self._recent) >= PENALTY_LAST_N:
            old = self._recent.popleft()
            self._counts[old] -= 1
            if not self._counts[old]:
                del self._counts[old]
        self._recent.append(token)


class Sampler:
    """Samples a logits row of the last decode and records the token (the penalty window and the
    grammar advance). Greedy plans need no llama.cpp sampler at all."""

    def __init__(self, vocab: Any, plan: SamplingPlan) -> None:
        import llama_cpp as ll

        self._ll = ll
        self._size = int(ll.llama_vocab_n_tokens(vocab))
        self._penalty = Penalty(plan.repeat_penalty) if plan.repeat_penalty != 1.0 else None
        self._chain: Any = None
        self._greedy = plan.greedy
        if plan.greedy:
            return
        chain = ll.llama_sampler_chain_init(ll.llama_sampler_chain_default_params())
        self._chain = chain
        add = ll.llama_sampler_chain_add
        if plan.grammar is not None:
            grammar = ll.llama_sampler_init_grammar(vocab, plan.grammar.encode("utf-8"), b"root")
            if not grammar:
                self.close()
                raise GenerationFailed("llama.cpp refused the grammar of this request", backend="llama.cpp")
            add(chain, grammar)
        if plan.temperature == 0.0:
            add(chain, ll.llama_sampler_init_greedy())
        else:
            add(chain, ll.llama_sampler_init_top_k(plan.top_k))
            add(chain, ll.llama_sampler_init_typical(1.0, 1))
            add(chain, ll.llama_sampler_init_top_p(plan.top_p, 1))
            add(chain, ll.llama_sampler_init_min_p(plan.min_p, 1))
            add(chain, ll.llama_sampler_init_temp(plan.temperature))
            add(chain, ll.llama_sampler_init_dist(plan.seed & 0xFFFFFFFF))

    def sample(self, ctx: Any, row: int) -> int:
        if self._penalty is not None:
            self._penalty.apply(logits_row(ctx, row, self._size))
        if self._greedy:  # llama.cpp's greedy: the first of equal maxima
            token = int(logits_row(ctx, row, self._size).argmax())
        else:
            token = int(self._ll.llama_sampler_sample(self._chain, ctx, row))
        if self._penalty is not None:
            self._penalty.accept(token)
        return token

    def close(self) -> None:
        if self._chain is not None:
            self._ll.llama_sampler_free(self._chain)
            self._chain = None
