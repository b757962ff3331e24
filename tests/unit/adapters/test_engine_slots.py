"""Where the scheduler puts a request (engine/slots.py `place`), as pure logic: a conversation keeps
to its slot, a saved one comes back into an idle slot, slots owned by no one come first, then the
one sharing most of the prompt, then an empty one, then the least recently used; a copy only when
it saves at least COPY_MIN tokens over what the chosen slot already holds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chi_llm.adapters.llama_cpp.engine.slots import COPY_MIN, CPU_GRID, Grid, Placement, Slot, common, place, usable
from chi_llm.adapters.llama_cpp.sessions import Snapshot

PROMPT = list(range(100, 200))  # 100 tokens


def slot(seq: int, tokens: list[int] | None = None, **kwargs: object) -> Slot:
    return Slot(seq, list(tokens or []), **kwargs)  # type: ignore[arg-type]


def saved(tokens: list[int], exact: int = 0) -> Snapshot:
    return Snapshot(tuple(tokens), b"", exact)


# -- conversations -------------------------------------------------------------------------------


def test_a_conversation_keeps_to_its_slot_and_reuses_its_cells() -> None:
    mine = slot(1, PROMPT[:60], owner="ann", used=1)
    slots = [slot(0, PROMPT[:90]), mine]  # another slot shares more: still the conversation's own
    placement = place(slots, PROMPT, "ann", None)
    assert placement == Placement(mine, 60)


def test_a_conversation_waits_while_its_slot_is_busy_even_with_idle_slots() -> None:
    slots = [slot(0), slot(1, PROMPT[:60], owner="ann", busy=True)]
    assert place(slots, PROMPT, "ann", None) is None


def test_a_saved_conversation_is_restored_into_an_idle_slot() -> None:
    slots = [slot(0, [1, 2, 3], busy=True), slot(1, [7] * 50, used=3)]
    placement = place(slots, PROMPT, "ann", saved(PROMPT[:70]))
    assert placement is not None
    assert placement.slot is slots[1] and placement.restore and placement.keep == 70
    assert placement.source is None and placement.evict is None


def test_restoring_into_a_slot_owned_by_another_conversation_evicts_it() -> None:
    slots = [slot(0, [1], owner="bob", used=1), slot(1, [2], owner="cid", busy=True)]
    placement = place(slots, PROMPT, "ann", saved(PROMPT[:40]))
    assert placement is not None and placement.slot is slots[0] and placement.evict == "bob" and placement.restore


def test_no_idle_slot_means_wait() -> None:
    slots = [slot(0, busy=True), slot(1, PROMPT, busy=True)]
    assert place(slots, PROMPT, None, None) is None
    assert place(slots, PROMPT, "ann", saved(PROMPT[:50])) is None


# -- preference order ----------------------------------------------------------------------------


def test_a_slot_owned_by_no_one_comes_before_a_conversations_even_with_a_longer_prefix() -> None:
    theirs = slot(0, PROMPT[:90], owner="bob", used=0)
    free = slot(1, [5] * 10, used=9)
    placement = place([theirs, free], PROMPT, None, None)
    assert placement is not None and placement.slot is free and placement.evict is None
    assert placement.source is theirs and placement.keep == 90  # its prefix is copied, bob keeps his slot


def test_the_longest_usable_prefix_wins_among_free_slots() -> None:
    slots = [slot(0, PROMPT[:40], used=1), slot(1, PROMPT[:80], used=0), slot(2, used=5)]
    placement = place(slots, PROMPT, None, None)
    assert placement == Placement(slots[1], 80)


def test_a_prefix_under_copy_min_counts_for_nothing_an_empty_slot_comes_first() -> None:
    slots = [slot(0, PROMPT[: COPY_MIN - 1], used=0), slot(1, used=9)]
    assert place(slots, PROMPT, None, None) == Placement(slots[1], 0)


def test_the_least_recently_used_goes_last_among_equals() -> None:
    slots = [slot(0, [1, 2], used=5), slot(1, [3, 4], used=2), slot(2, [5, 6], used=7)]
    assert place(slots, PROMPT, None, None) == Placement(slots[1], 0)


def test_a_copy_only_when_it_saves_copy_min_tokens_over_the_target() -> None:
    busy = slot(0, PROMPT[:80], busy=True)
    near = slot(1, PROMPT[: 80 - COPY_MIN + 1])  # shares 49: a copy would save 31 < COPY_MIN
    assert place([busy, near], PROMPT, None, None) == Placement(near, 80 - COPY_MIN + 1)
    far = slot(1, PROMPT[: 80 - COPY_MIN])  # shares 48: a copy saves exactly COPY_MIN
    assert place([busy, far], PROMPT, None, None) == Placement(far, 80, source=busy)


def test_keep_never_reaches_the_prompts_last_token() -> None:
    whole = slot(0, [*PROMPT, 1, 2])
    placement = place([whole], PROMPT, None, None)
    assert placement is not None and placement.keep == len(PROMPT) - 1
    assert usable(10**6, []) == 0


# -- invariants ----------------------------------------------------------------------------------

tokens = st.lists(st.integers(0, 3), max_size=80)  # a small alphabet: long shared prefixes happen
sessions = st.sampled_from([None, "ann", "bob", "cid"])
exact = st.integers(0, 120)  # cells read in the grid's chunks (Slot floors it to a boundary within its tokens)


@st.composite
def states(draw: st.DrawFn) -> tuple[list[Slot], list[int], str | None, Snapshot | None]:
    base = draw(st.lists(st.integers(0, 3), min_size=0, max_size=120))

    def near() -> list[int]:
        return base[: draw(st.integers(0, len(base)))] + draw(tokens)

    count = draw(st.integers(1, 5))
    names = draw(st.permutations(["ann", "bob", "cid", "dan", "eve"]))
    owners = [name if draw(st.booleans()) else None for name in names[:count]]
    slots = [
        Slot(i, near(), owner=owners[i], busy=draw(st.booleans()), used=draw(st.integers(0, 9)), exact=draw(exact))
        for i in range(count)
    ]
    session = draw(sessions)
    owned = any(s.owner == session for s in slots) and session is not None
    kept = None if owned or session is None or draw(st.booleans()) else near()
    return slots, near(), session, None if kept is None else saved(kept, draw(exact))


@given(states())
def test_a_placement_keeps_every_invariant(
    state: tuple[list[Slot], list[int], str | None, Snapshot | None],
) -> None:
    slots, prompt, session, kept = state
    placement = place(slots, prompt, session, kept)
    idle = [s for s in slots if not s.busy]
    mine = next((s for s in slots if session is not None and s.owner == session), None)
    if placement is None:
        assert not idle or (mine is not None and mine.busy)
        return
    target = placement.slot
    assert not target.busy and target in slots
    assert 0 <= placement.keep <= max(len(prompt) - 1, 0)
    # reuse below COPY_MIN only of cells read in the grid's chunks, up to a boundary
    assert placement.keep >= COPY_MIN or placement.keep == CPU_GRID.floor(placement.keep) < COPY_MIN
    if mine is not None:
        assert target is mine and not placement.restore and placement.source is None and placement.evict is None
        assert placement.keep == usable(common(mine.tokens, prompt), prompt, mine.exact)
        return
    if any(s.owner is None for s in idle):
        assert target.owner is None and placement.evict is None  # no conversation is pushed out needlessly
    else:
        assert placement.evict == target.owner
    if kept is not None:
        assert placement.restore and placement.source is None
        assert placement.keep == usable(common(kept.tokens, prompt), prompt, kept.exact)
        return
    assert not placement.restore
    own = usable(common(target.tokens, prompt), prompt, target.exact)
    if placement.source is None:
        assert placement.keep == own
    else:
        assert placement.source is not target and placement.keep >= own + COPY_MIN
        assert common(placement.source.tokens, prompt) >= placement.keep  # the cells copied are the prompt's
    best = max(usable(common(s.tokens, prompt), prompt, s.exact) for s in slots)
    assert placement.keep >= best - COPY_MIN + 1 or best < COPY_MIN  # a copy is never missed when it pays


# -- reuse that changes nothing (the grid) --------------------------------------------------------


def test_the_grid_ends_chunks_every_8_tokens_to_64_every_16_to_128_then_every_128() -> None:
    grid = Grid()
    nexts = [grid.next(p) for p in (0, 7, 8, 63, 64, 79, 127, 128, 200, 255, 256)]
    assert nexts == [8, 8, 16, 64, 80, 80, 128, 256, 256, 256, 384]
    floors = [grid.floor(n) for n in (0, 7, 8, 31, 64, 70, 127, 128, 255, 256, 300)]
    assert floors == [0, 0, 8, 24, 64, 64, 112, 128, 128, 256, 256]
    assert grid.scaled(4) == Grid(((256, 32), (512, 64), (0, 512)))


@given(st.integers(0, 2000))
def test_every_boundary_is_reached_from_any_position(pos: int) -> None:
    grid = Grid()
    after = grid.next(pos)
    assert after > pos and grid.floor(after) == after and grid.floor(after - 1) <= pos
    assert grid.floor(pos) <= pos < after


def test_a_short_shared_header_read_in_the_grids_chunks_is_reused_up_to_a_boundary() -> None:
    header = slot(0, [*PROMPT[:27], 7, 8, 9], exact=24)  # a chat header shared by 27 tokens
    assert place([header], PROMPT, None, None) == Placement(header, 24)
    inexact = slot(0, [*PROMPT[:27], 7, 8, 9])  # its cells were read in other chunks: nothing
    assert place([inexact], PROMPT, None, None) == Placement(inexact, 0)


def test_reuse_past_the_exact_part_only_when_it_saves_copy_min_tokens() -> None:
    assert usable(COPY_MIN - 1, PROMPT, exact=48) == 24  # a short share: to a boundary, exactly
    assert usable(COPY_MIN - 1, PROMPT) == 0  # ... and none of cells read in other chunks
    assert usable(60, PROMPT, exact=16) == 60  # a conversation's history: worth its last bits
    assert usable(20, PROMPT, exact=200) == 16  # exact beyond what is shared counts to the last boundary
    assert usable(20, PROMPT, exact=12) == 8


def test_a_slot_knows_which_of_its_cells_were_read_in_the_grids_chunks() -> None:
    cells = Slot(0)
    cells.read(PROMPT[:8])
    cells.read(PROMPT[8:16])
    assert cells.exact == 16
    cells.read(PROMPT[16:20])  # the prompt ended mid-chunk: a fresh read of a longer one differs
    assert cells.exact == 16
    cells.read(PROMPT[20:24])  # ends on a boundary but did not start on one
    assert cells.exact == 16
    cells.cut(12)
    assert (cells.tokens, cells.exact) == (PROMPT[:12], 8)
    cells.tokens = list(PROMPT)  # cells from elsewhere (a restore): none known exact
    assert cells.exact == 0
    assert Slot(0, PROMPT[:45], exact=100).exact == 40  # never past its tokens, always a boundary
