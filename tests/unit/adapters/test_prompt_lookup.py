"""Prompt-lookup drafts (engine/lookup.py), pure logic: a guess is always what followed the
answer's tail earlier, never longer than the room, short at first, growing while kept whole, and
a request whose guesses keep failing rests from guessing, longer after each poor window."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from chi_llm.adapters.llama_cpp.engine import lookup
from chi_llm.adapters.llama_cpp.engine.lookup import (
    DRAFT_MAX,
    DRAFT_START,
    EXACT_CELLS,
    NGRAMS,
    REST,
    WINDOW,
    Drafts,
    exact_room,
)

tokens = st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=80)


def seen_after(history: list[int], draft: list[int]) -> bool:
    """`draft` followed, somewhere earlier in `history`, the same n-gram the history ends with."""
    for n in NGRAMS:
        tail = history[-n:]
        for at in range(n, len(history)):
            if history[at - n : at] == tail and history[at : at + len(draft)] == draft:
                return True
    return False


@given(tokens, st.integers(min_value=-3, max_value=40))
def test_a_guess_is_a_continuation_seen_earlier_and_fits_the_room(history: list[int], room: int) -> None:
    drafts = Drafts(history)
    draft = drafts.guess(history[-1], room)
    assert len(draft) <= max(room, 0)
    assert len(draft) <= DRAFT_START
    if draft:
        assert seen_after(history, draft)


@given(tokens, tokens)
def test_answer_tokens_are_looked_up_like_prompt_tokens(prompt: list[int], answer: list[int]) -> None:
    drafts = Drafts(prompt)
    for token in answer:
        drafts.add(token)
    history = prompt + answer
    assert drafts.history == history
    draft = drafts.guess(history[-1], 100)
    if draft:
        assert seen_after(history, draft)


def test_the_most_recent_occurrence_of_the_longest_tail_is_followed() -> None:
    short, long = NGRAMS[-1], NGRAMS[0]
    assert long > short
    tail = list(range(100, 100 + long))  # the answer's last `long` tokens
    older = [*tail, 1, 2, 3, 4, 5]  # the whole tail seen, followed by 1...
    newer = [0, *tail[-short:], 6, 7, 8, 9, 10]  # only its shorter end seen, more recently
    drafts = Drafts([*older, *newer, *tail])
    assert drafts.guess(tail[-1], 10) == [1, 2, 3, 4, 5][:DRAFT_START]  # the longest match wins
    drafts = Drafts([*older[1:], *newer, *tail])  # the whole tail no longer seen: the shorter match
    assert drafts.guess(tail[-1], 10) == [6, 7, 8, 9, 10][:DRAFT_START]
    drafts = Drafts([*newer, 0, *newer, *tail])  # the most recent of two occurrences
    assert drafts.guess(tail[-1], 10) == [6, 7, 8, 9, 10][:DRAFT_START]


def test_nothing_is_guessed_without_a_match_or_for_another_last_token() -> None:
    drafts = Drafts([1, 2, 3, 4, 5, 6, 7])
    assert drafts.guess(7, 10) == []  # its tail never appeared before
    drafts = Drafts([1, 2, 3, 4, 1, 2, 3])
    assert drafts.guess(3, 10) == [4, 1][:DRAFT_START]
    assert drafts.guess(7, 10) == []  # `last` is not the history's newest token
    assert drafts.guess(3, 0) == []


def test_guesses_grow_while_kept_whole_and_shrink_to_what_was_kept() -> None:
    drafts = Drafts([*range(50), 0, 1, 2])
    sizes = []
    for _ in range(4):
        draft = drafts.guess(drafts.history[-1], 100)
        sizes.append(len(draft))
        drafts.judge(len(draft), len(draft))
        for token in draft:
            drafts.add(token)
        drafts.add(drafts.history[-1] + 1)  # the token sampled after the kept draft
    assert sizes == [DRAFT_START, DRAFT_START * 2, min(DRAFT_START * 4, DRAFT_MAX), DRAFT_MAX]
    drafts = Drafts([1, 2, 1, 2])
    drafts.judge(DRAFT_START, 3)  # within a window: only the size changes
    assert drafts.size == 3
    drafts.judge(3, 0)
    assert drafts.size == 1


@given(st.lists(st.integers(min_value=0, max_value=1), min_size=WINDOW, max_size=4 * WINDOW))
def test_poor_guesses_make_a_request_rest_longer_each_time_in_a_row(outcomes: list[int]) -> None:
    drafts = Drafts([1, 2, 1, 2, 1, 2])
    rests = []
    for kept in outcomes:
        was_off = drafts.off
        drafts.judge(1, kept)
        if drafts.off and not was_off:
            rests.append(drafts.resting_until - len(drafts.history))
    # each rest doubles the one before, unless a good window came between (back to REST)
    assert all(later in (REST, earlier * 2) for earlier, later in itertools.pairwise(rests))
    if sum(outcomes[:WINDOW]) < lookup.MIN_RATE * WINDOW:
        assert rests and rests[0] == REST


def test_a_resting_request_guesses_again_after_its_rest() -> None:
    drafts = Drafts([1, 2, 3, 4, 1, 2, 3])
    for _ in range(WINDOW):
        drafts.judge(1, 0)
    assert drafts.off and drafts.guess(3, 10) == []
    for _ in range(REST):
        drafts.add(9)
    for token in (1, 2, 3):
        drafts.add(token)
    assert not drafts.off
    assert drafts.guess(3, 10)


def test_a_good_window_keeps_guessing() -> None:
    drafts = Drafts([1, 2, 3, 4, 1, 2, 3])
    for _ in range(WINDOW):
        drafts.judge(1, 1)
    assert not drafts.off


@given(st.integers(min_value=0, max_value=4096))
def test_exact_room_is_unbounded_on_one_thread_and_ends_at_the_exact_cells_otherwise(cells: int) -> None:
    assert exact_room(cells, 1) > 4096
    assert exact_room(cells, 2) == EXACT_CELLS - cells


def test_drafts_stay_far_below_the_rows_where_a_step_changes_numerics() -> None:
    assert DRAFT_START <= DRAFT_MAX < 64 - 1
