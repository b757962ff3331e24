"""The engine's sampler picks the tokens llama.cpp's own sampler chain picks (repeat penalty over
the last 64 tokens, grammar, greedy or a seeded draw), on the real model's logits, step by step:
it applies the penalty and greedy sampling itself (engine/sampling.py), so this is what keeps
answers as they were."""

from __future__ import annotations

import ctypes
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from chi_llm.adapters.llama_cpp import LlamaCppGenerator
from chi_llm.adapters.llama_cpp.engine.native import Entry
from chi_llm.adapters.llama_cpp.engine.sampling import PENALTY_LAST_N, Sampler, SamplingPlan

STEPS = 90
PROMPT = "List the words again and again: cat dog cat dog cat dog cat dog cat dog cat"
LETTERS = 'root ::= [a-z ]+ "."'


def chain_of(ll: Any, vocab: Any, plan: SamplingPlan) -> Any:
    """llama.cpp's chain as the engine built it before sampling itself: penalties first."""
    chain = ll.llama_sampler_chain_init(ll.llama_sampler_chain_default_params())
    add = ll.llama_sampler_chain_add
    size = ll.llama_vocab_n_tokens(vocab)
    add(chain, ll.llama_sampler_init_penalties(size, PENALTY_LAST_N, plan.repeat_penalty, 0.0, 0.0))
    if plan.grammar is not None:
        add(chain, ll.llama_sampler_init_grammar(vocab, plan.grammar.encode("utf-8"), b"root"))
    if plan.temperature == 0.0:
        add(chain, ll.llama_sampler_init_greedy())
    else:
        add(chain, ll.llama_sampler_init_top_k(plan.top_k))
        add(chain, ll.llama_sampler_init_typical(1.0, 1))
        add(chain, ll.llama_sampler_init_top_p(plan.top_p, 1))
        add(chain, ll.llama_sampler_init_min_p(plan.min_p, 1))
        add(chain, ll.llama_sampler_init_temp(plan.temperature))
        add(chain, ll.llama_sampler_init_dist(plan.seed & 0xFFFFFFFF))
    return chain


def walk(path: Path, plan: SamplingPlan) -> tuple[list[int], list[int], int]:
    """Decode STEPS tokens, sampling each row with the chain and with the engine's sampler: their
    tokens, and at how many steps the same chain without the penalty (same seed) drew another."""
    import llama_cpp as ll

    model = LlamaCppGenerator(locate=Path, default_model=str(path), context=256, parallel=1).load()
    native, vocab = model.scheduler.native, model.llm._model.vocab

    def run() -> tuple[list[int], list[int], int]:
        native.drop(0)
        prompt = model.llm.tokenize(PROMPT.encode(), add_bos=True)
        native.decode([Entry(0, t, i, i == len(prompt) - 1) for i, t in enumerate(prompt)])
        chain, sampler = chain_of(ll, vocab, plan), Sampler(vocab, plan)
        plain = chain_of(ll, vocab, replace(plan, repeat_penalty=1.0))
        theirs, ours, changed, row, pos = [], [], 0, len(prompt) - 1, len(prompt)
        try:
            for _ in range(STEPS):
                unpenalized = int(ll.llama_sampler_sample(plain, native.ctx, row))  # the chains read
                theirs.append(int(ll.llama_sampler_sample(chain, native.ctx, row)))  # and change nothing
                ours.append(sampler.sample(native.ctx, row))  # penalizes the row in place
                changed += unpenalized != theirs[-1]
                native.decode([Entry(0, theirs[-1], pos, True)])
                row, pos = 0, pos + 1
        finally:
            ll.llama_sampler_free(chain)
            ll.llama_sampler_free(plain)
            sampler.close()
            native.drop(0)
        return theirs, ours, changed

    return model.scheduler.call(run)


@pytest.mark.parametrize(
    "plan",
    [
        SamplingPlan(temperature=0.0, top_k=40, top_p=1.0, min_p=0.0, repeat_penalty=1.3, seed=1),
        SamplingPlan(temperature=0.8, top_k=40, top_p=0.9, min_p=0.05, repeat_penalty=1.3, seed=7),
        SamplingPlan(temperature=0.0, top_k=40, top_p=1.0, min_p=0.0, repeat_penalty=1.3, seed=1, grammar=LETTERS),
    ],
    ids=["greedy", "seeded draw", "grammar"],
)
def test_the_engine_samples_what_llama_cpps_chain_samples(default_model_path: Path, plan: SamplingPlan) -> None:
    theirs, ours, changed = walk(default_model_path, plan)
    assert ours == theirs
    assert changed > 0  # the penalty decided some tokens: a sampler that ignored it would differ


def test_a_penalty_of_one_leaves_the_row_alone(default_model_path: Path) -> None:
    plan = SamplingPlan(temperature=0.0, top_k=40, top_p=1.0, min_p=0.0, repeat_penalty=1.0, seed=1)
    theirs, ours, changed = walk(default_model_path, plan)
    assert ours == theirs and changed == 0
    assert len(set(np.asarray(ours).tolist())) < len(ours)  # it does repeat without a penalty


def test_the_penalty_is_llama_cpps_on_both_signs_and_past_its_window() -> None:
    """Penalty against llama.cpp's penalty sampler on a made-up row with negative, zero and
    positive logits, over more tokens than its window (so tokens also leave it)."""
    import llama_cpp as ll

    from chi_llm.adapters.llama_cpp.engine.sampling import Penalty

    size, rng = 300, np.random.default_rng(3)
    reference = ll.llama_sampler_init_penalties(size, PENALTY_LAST_N, 1.7, 0.0, 0.0)
    ours = Penalty(1.7)
    try:
        for token in rng.integers(0, 120, size=3 * PENALTY_LAST_N).tolist():
            ll.llama_sampler_accept(reference, token)
            ours.accept(token)
        row = rng.normal(0, 4, size).astype(np.float32)
        row[:40:3] = 0.0
        data = (ll.llama_token_data * size)(*(ll.llama_token_data(i, float(v), 0.0) for i, v in enumerate(row)))
        candidates = ll.llama_token_data_array(data=data, size=size, selected=-1, sorted=False)
        ll.llama_sampler_apply(reference, ctypes.byref(candidates))
        ours.apply(row)
    finally:
        ll.llama_sampler_free(reference)
    expected = np.array([data[i].logit for i in range(size)], dtype=np.float32)
    assert np.array_equal(row, expected)
    assert (row < 0).any() and (row > 0).any()
