"""A sampler chain per sequence, built as llama-cpp-python's `Llama` builds its own (so answers
keep their character): repeat penalty over the last 64 tokens, the grammar, then greedy at
temperature 0, else top-k, typical (off), top-p, min-p, temperature and a seeded draw."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chi_llm.domain.errors import GenerationFailed

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


class Sampler:
    """One llama_sampler chain. `sample` draws from a logits row of the last decode and records
    the token (penalties and the grammar advance)."""

    def __init__(self, vocab: Any, plan: SamplingPlan) -> None:
        import llama_cpp as ll

        self._ll = ll
        chain = ll.llama_sampler_chain_init(ll.llama_sampler_chain_default_params())
        self._chain = chain
        add = ll.llama_sampler_chain_add
        if plan.repeat_penalty != 1.0:
            size = ll.llama_vocab_n_tokens(vocab)
            add(chain, ll.llama_sampler_init_penalties(size, PENALTY_LAST_N, plan.repeat_penalty, 0.0, 0.0))
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
        return int(self._ll.llama_sampler_sample(self._chain, ctx, row))

    def close(self) -> None:
        if self._chain is not None:
            self._ll.llama_sampler_free(self._chain)
            self._chain = None
