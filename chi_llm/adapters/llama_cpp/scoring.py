"""How likely each label is as the continuation of a prompt: the model's own log-probabilities,
token by token, normalised over the labels. What `classify` reports as its confidence."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from functools import partial
from typing import Any

from chi_llm.adapters.llama_cpp.engine.native import Entry
from chi_llm.adapters.llama_cpp.engine.slots import Slot, reuse
from chi_llm.adapters.llama_cpp.loader import LoadedModel
from chi_llm.domain.errors import ContextLengthExceeded


def _log_softmax_at(logits: Any, token: int) -> float:
    import numpy as np

    top = float(np.max(logits))
    return float(logits[token]) - top - math.log(float(np.sum(np.exp(logits - top))))


def _keep(slot: Slot, context: list[int], native: Any) -> int:
    """Reuse what the slot holds of the context; drop the rest (its tokens follow its cells)."""
    keep = reuse(slot, context)
    native.drop(slot.seq, keep)
    slot.cut(keep)
    return keep


def _label(native: Any, size: int, slot: Slot, end: int, start: Any, piece: list[int]) -> float:
    """log P(piece | the slot's `end` cells), from the logits after them (`start`); a task of its
    own. A long label is evaluated `size` tokens at a time."""
    total = _log_softmax_at(start, piece[0]) if piece else 0.0
    native.drop(slot.seq, end)
    for at in range(0, len(piece) - 1, size):
        chunk = piece[at : min(at + size, len(piece) - 1)]  # its last token needs no logits
        native.decode([Entry(slot.seq, t, end + at + i, True) for i, t in enumerate(chunk)])
        for i, token in enumerate(piece[at + 1 : at + 1 + len(chunk)]):
            total += _log_softmax_at(native.logits(i).astype("float64"), token)
    native.drop(slot.seq, end)
    return total


def _release(slot: Slot) -> None:
    slot.busy = False


def label_probabilities(
    loaded: LoadedModel, prompt: Sequence[int], prefix: str, labels: Sequence[str], suffix: str
) -> dict[str, float]:
    """P(label | prompt + prefix), each label followed by `suffix` (what closes it), normalised
    over `labels`. Runs in an idle slot of the model's scheduler, a chunk or a label at a time
    between its steps (so streams beside it go on), waiting for a slot while every one decodes;
    the slot is left holding prompt + prefix."""
    llm, scheduler = loaded.llm, loaded.scheduler

    def tokens(text: str) -> list[int]:
        return list(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    context = [*prompt, *tokens(prefix)]
    pieces = {label: tokens(label + suffix) for label in labels}
    needed = len(context) + max((len(piece) for piece in pieces.values()), default=1) - 1
    if needed > loaded.context:  # its decode would fail part way, in a slot others reuse
        raise ContextLengthExceeded(prompt_tokens=needed, context=loaded.context, backend="llama.cpp")

    native = scheduler.native

    def take() -> Slot | None:
        slot = scheduler.idle_slot()
        if slot is not None:
            slot.busy = True  # held between the tasks below: no request takes it meanwhile
        return slot

    def read(slot: Slot, at: int, chunk: list[int]) -> Any:
        """One chunk of the context (a task of its own: the others decode between chunks)."""
        last = at + len(chunk) == len(context)
        native.decode([Entry(slot.seq, t, at + i, last and i == len(chunk) - 1) for i, t in enumerate(chunk)])
        slot.read(chunk)
        return native.logits(len(chunk) - 1).astype("float64") if last else None

    while (slot := scheduler.call(take)) is None:
        time.sleep(0.01)  # every slot is decoding: try again after a step or two
    try:
        keep = scheduler.call(lambda: _keep(slot, context, native))
        start: Any = None
        for at in range(keep, len(context), scheduler.chunk):
            start = scheduler.call(partial(read, slot, at, context[at : at + scheduler.chunk]))
        scores = {
            name: scheduler.call(partial(_label, native, scheduler.chunk, slot, len(context), start, piece))
            for name, piece in pieces.items()
        }
    finally:
        scheduler.call(partial(_release, slot))
    best = max(scores.values())
    weights = {label: math.exp(score - best) for label, score in scores.items()}
    whole = sum(weights.values())
    return {label: weight / whole for label, weight in weights.items()}
