"""Which slot (KV sequence) a request decodes in, and what it reuses there.

A slot keeps its cells after its request ends, as a cache: the next request whose prompt starts
with the same tokens (a conversation's next turn, a shared system prompt, an extraction
template) evaluates only the rest. A conversation (`session`) keeps to its slot while it has
one; when its slot is needed by others its cells are saved (KvSessions) and restored into a slot
when it comes back. When another slot holds a longer prefix of the prompt than the chosen one
by at least COPY_MIN tokens, those cells are copied over instead of evaluated again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

COPY_MIN = 32  # copying a stream costs about what evaluating this many tokens does here


@dataclass(slots=True, eq=False)
class Slot:
    seq: int
    tokens: list[int] = field(default_factory=list)  # what its cells hold, in order
    owner: str | None = None  # the conversation whose cells these are
    busy: bool = False
    used: int = 0  # when it last took a request (a counter)


def common(a: Sequence[int], b: Sequence[int]) -> int:
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count


def usable(shared: int, prompt: Sequence[int]) -> int:
    """Cells to keep: the shared prefix, short of the prompt's last token (decoded again for its
    logits); none below COPY_MIN. Cells evaluated for another prompt hold very slightly different
    numbers than a fresh evaluation gives (measured: the logits differ in the last bits), so a
    reused prefix may change a greedy answer, as in llama.cpp's server; reusing only prefixes that
    save real work (a conversation, a long system prompt) keeps answers to prompts that merely
    share a chat template's header the same as on an empty cache."""
    keep = min(shared, max(len(prompt) - 1, 0))
    return keep if keep >= COPY_MIN else 0


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


def place(
    slots: Sequence[Slot], prompt: Sequence[int], session: str | None, saved: Sequence[int] | None
) -> Placement | None:
    """The placement of a request, or None while it must wait (no idle slot, or its
    conversation's slot is busy). `saved`: the tokens of the conversation's saved cells, if any."""
    if session is not None:
        mine = next((s for s in slots if s.owner == session), None)
        if mine is not None:
            return None if mine.busy else Placement(mine, usable(common(mine.tokens, prompt), prompt))
    idle = [s for s in slots if not s.busy]
    if not idle:
        return None

    # Prefer a slot no other conversation owns (theirs would have to be saved), then the one
    # sharing most of the prompt (when that saves more than a copy costs), then an empty one,
    # then the least recently used.
    target = max(
        idle,
        key=lambda s: (s.owner in (None, session), usable(common(s.tokens, prompt), prompt), not s.tokens, -s.used),
    )
    evict = target.owner if target.owner != session else None
    if saved is not None:
        return Placement(target, usable(common(saved, prompt), prompt), evict=evict, restore=True)
    keep = usable(common(target.tokens, prompt), prompt)
    source = max(slots, key=lambda s: common(s.tokens, prompt))
    shared = usable(common(source.tokens, prompt), prompt)
    if source is not target and shared >= keep + COPY_MIN:
        return Placement(target, shared, evict=evict, source=source)
    return Placement(target, keep, evict=evict)
