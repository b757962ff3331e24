"""Which slot (KV sequence) a request decodes in, and what it reuses there.

A slot keeps its cells after its request ends, as a cache: the next request whose prompt starts
with the same tokens (a conversation's next turn, a shared system prompt, an extraction
template) evaluates only the rest. A conversation (`session`) keeps to its slot while it has
one; when its slot is needed by others its cells are saved (KvSessions) and restored into a slot
when it comes back. When another slot holds a longer prefix of the prompt than the chosen one
by at least COPY_MIN tokens, those cells are copied over instead of evaluated again.

Reuse that changes nothing: a prompt is read in chunks that end at fixed positions (a `Grid`: every
8 tokens up to 64, 16 up to 128, then every 128). A cell's numbers depend on the chunk it was evaluated in,
so cells read in the same chunks a fresh evaluation would use are bit-identical to it (measured),
and a prefix kept up to such a boundary (`Slot.exact`) gives the answer an empty cache gives. That
makes the few tokens of a chat template's header that prompts share worth reusing. Reusing past
the last boundary (a conversation's earlier answers, decoded a token at a time) may change a
greedy answer in its last bits, as in llama.cpp's server, so it is done only when it saves at
least COPY_MIN tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

COPY_MIN = 32  # copying a stream costs about what evaluating this many tokens does here


@dataclass(frozen=True, slots=True)
class Grid:
    """Where prompt chunks end: `steps` is ((until, step), ...): every `step` tokens below
    `until`, each `until` a multiple of its step and of the next; past the last, every last step.
    Fine at the start, where prompts share short headers (a chat template's is 20-40 tokens);
    coarse after, where a chunk of 16 read ~15 % slower than one of 128 here."""

    steps: tuple[tuple[int, int], ...] = ((64, 8), (128, 16), (0, 128))

    def _step(self, pos: int) -> int:
        return next((step for until, step in self.steps[:-1] if pos < until), self.steps[-1][1])

    def next(self, pos: int) -> int:
        """The first boundary after `pos`."""
        step = self._step(pos)
        return (pos // step + 1) * step

    def floor(self, count: int) -> int:
        """The last boundary at or before `count` (0 below the first)."""
        step = self._step(count)
        return count // step * step

    def scaled(self, factor: int) -> Grid:
        return Grid(tuple((until * factor, step * factor) for until, step in self.steps))


CPU_GRID = Grid()


class Slot:
    """One KV sequence: what its cells hold (`tokens`, in order), how many of the first of them were
    read in the grid's chunks from position 0 (`exact`: always a boundary), the conversation whose
    cells these are, whether a request uses it, and when it last took one (a counter)."""

    __slots__ = ("_tokens", "busy", "exact", "grid", "owner", "seq", "used")

    def __init__(
        self,
        seq: int,
        tokens: list[int] | None = None,
        *,
        owner: str | None = None,
        busy: bool = False,
        used: int = 0,
        exact: int = 0,
        grid: Grid = CPU_GRID,
    ) -> None:
        self.seq, self.owner, self.busy, self.used, self.grid = seq, owner, busy, used, grid
        self._tokens: list[int] = list(tokens or [])
        self.exact = grid.floor(min(exact, len(self._tokens)))

    @property
    def tokens(self) -> list[int]:
        return self._tokens

    @tokens.setter
    def tokens(self, value: list[int]) -> None:
        """New cells: none known to be read in the grid's chunks (set `exact` after, when they are)."""
        self._tokens = value
        self.exact = 0

    def cut(self, keep: int) -> None:
        """Keep the first `keep` cells' tokens (the caller drops the cells)."""
        del self._tokens[keep:]
        self.exact = self.grid.floor(min(self.exact, keep))

    def read(self, chunk: Sequence[int]) -> None:
        """A prompt chunk was evaluated after the slot's cells: it extends `exact` when it is the
        grid's next whole chunk after an exact prefix."""
        start = len(self._tokens)
        self._tokens.extend(chunk)
        if start == self.exact and start + len(chunk) == self.grid.next(start):
            self.exact = start + len(chunk)


def common(a: Sequence[int], b: Sequence[int]) -> int:
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count


def usable(shared: int, prompt: Sequence[int], exact: int = 0, grid: Grid = CPU_GRID) -> int:
    """Cells to keep of a slot sharing `shared` tokens with the prompt, `exact` of its first read
    in the grid's chunks: the shared prefix, short of the prompt's last token (decoded again for its
    logits), when that is COPY_MIN or more (real work saved: a conversation's history, a long
    system prompt); below, the exact part up to a boundary (reuse that leaves the answer as on an
    empty cache: a chat template's header)."""
    whole = min(shared, max(len(prompt) - 1, 0))
    return whole if whole >= COPY_MIN else grid.floor(min(whole, exact))


def reuse(slot: Slot, prompt: Sequence[int]) -> int:
    """What `slot` can keep for `prompt` (usable)."""
    return usable(common(slot.tokens, prompt), prompt, slot.exact, slot.grid)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a request goes: `slot`, after saving its `evict` conversation's cells, restoring the
    request's conversation (`restore`) or copying `source`'s first `keep` cells; then the prompt is
    evaluated from `keep` on."""

    slot: Slot
    keep: int
    evict: str | None = None
    restore: bool = False
    source: Slot | None = None


class Saved(Protocol):
    """A conversation's saved cells, as placing it needs them (sessions.Snapshot)."""

    @property
    def tokens(self) -> Sequence[int]: ...
    @property
    def exact(self) -> int: ...


def place(slots: Sequence[Slot], prompt: Sequence[int], session: str | None, saved: Saved | None) -> Placement | None:
    """The placement of a request, or None while it must wait (no idle slot, or its
    conversation's slot is busy). `saved`: the conversation's saved cells, if any."""
    if session is not None:
        mine = next((s for s in slots if s.owner == session), None)
        if mine is not None:
            return None if mine.busy else Placement(mine, reuse(mine, prompt))
    idle = [s for s in slots if not s.busy]
    if not idle:
        return None

    # Prefer a slot no other conversation owns (theirs would have to be saved), then the one
    # sharing most of the prompt (when that saves more than a copy costs), then an empty one,
    # then the least recently used.
    target = max(
        idle,
        key=lambda s: (s.owner in (None, session), reuse(s, prompt), not s.tokens, -s.used),
    )
    evict = target.owner if target.owner != session else None
    if saved is not None:
        keep = usable(common(saved.tokens, prompt), prompt, saved.exact, target.grid)
        return Placement(target, keep, evict=evict, restore=True)
    keep = reuse(target, prompt)
    source = max(slots, key=lambda s: reuse(s, prompt))
    shared = reuse(source, prompt)
    if source is not target and shared >= keep + COPY_MIN:
        return Placement(target, shared, evict=evict, source=source)
    return Placement(target, keep, evict=evict)
