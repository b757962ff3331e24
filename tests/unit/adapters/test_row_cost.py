"""Prompt-lookup drafts rest where a draft row costs more than its kept tokens bring, as measured
on this machine (engine/row_cost.py), not by a constant taken from another day's machine."""

from __future__ import annotations

import pytest

from chi_llm.adapters.llama_cpp.engine.lookup import MIN_RATE, WINDOW, Drafts
from chi_llm.adapters.llama_cpp.engine.row_cost import MIN_STEPS, RowCost

SHORT = 100  # cells held: within the span where drafts run with several threads


def measured(
    plain: float, drafted: float, *, sequences: int = 1, extra: int = 4, threads: int = 2, steps: int = 50
) -> RowCost:
    costs = RowCost()
    for _ in range(steps):
        costs.observe(sequences, sequences, threads, SHORT, plain)
        costs.observe(sequences, sequences + extra, threads, SHORT, drafted)
    return costs


def test_before_enough_measurements_the_prior_stands() -> None:
    costs = RowCost()
    assert costs.break_even(1, 2, SHORT) == MIN_RATE
    costs.observe(1, 1, 2, SHORT, 0.010)  # a plain step alone tells nothing of a row's cost
    assert costs.break_even(1, 2, SHORT) == MIN_RATE
    assert (
        measured(0.010, 0.050, steps=MIN_STEPS - 1).break_even(1, 2, SHORT) == MIN_RATE
    )  # one slow step decides nothing
    assert measured(0.010, 0.050, steps=MIN_STEPS).break_even(1, 2, SHORT) == pytest.approx(1.0)


def test_cheap_rows_pay_with_few_kept_and_dear_rows_need_more_than_all() -> None:
    assert measured(0.010, 0.018).break_even(1, 2, SHORT) == pytest.approx(0.2)  # 2 ms a row over 10 ms a token
    assert measured(0.010, 0.050).break_even(1, 2, SHORT) == pytest.approx(1.0)
    assert measured(0.010, 0.058).break_even(1, 2, SHORT) > 1.0  # no share of kept tokens pays


def test_a_batch_weighs_a_row_against_its_own_time_per_token() -> None:
    # four sequences: 28 ms a step (7 ms a token); a row costs 3.5 ms, half a token
    assert measured(0.028, 0.042, sequences=4).break_even(4, 2, SHORT) == pytest.approx(0.5)
    assert measured(0.028, 0.042, sequences=4).break_even(1, 2, SHORT) == MIN_RATE  # one alone: not measured yet


def test_costs_are_kept_per_thread_count() -> None:
    costs = measured(0.010, 0.018, threads=2)
    assert costs.break_even(1, 1, SHORT) == MIN_RATE


def test_drafted_steps_are_compared_with_plain_steps_of_as_long_a_context() -> None:
    costs = RowCost()
    for _ in range(50):
        costs.observe(1, 1, 2, 600, 0.013)  # plain steps of a long answer, past where drafts run
    for _ in range(50):
        costs.observe(1, 1, 2, SHORT, 0.010)
        costs.observe(1, 2, 2, SHORT, 0.0165)  # one guessed row: 0.65 of a short step
    assert costs.break_even(1, 2, SHORT) == pytest.approx(0.65)  # not (16.5 - 13) / 13


def test_a_rate_that_pays_by_the_prior_rests_where_rows_cost_more() -> None:
    def rested(break_even: float) -> bool:
        drafts = Drafts([1, 2, 3, 4, 5])
        drafts.judge(WINDOW, int(0.8 * WINDOW), break_even)  # 80 % of the guesses kept
        return drafts.off

    assert not rested(MIN_RATE)
    assert rested(0.9)
    assert not rested(0.2)
