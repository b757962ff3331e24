"""How likely each label is as the continuation of a prompt: the model's own log-probabilities,
token by token, normalised over the labels. What `classify` reports as its confidence."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

from chi_llm.adapters.llama_cpp.engine.native import Entry
from chi_llm.adapters.llama_cpp.engine.slots import common, usable
from chi_llm.adapters.llama_cpp.loader import LoadedModel
from chi_llm.domain.errors import ContextLengthExceeded


def _log_softmax_at(logits: Any, token: int) -> float:
    import numpy as np

    top = float(np.max(logits))
    return float(logits[token]) - top - math.log(float(np.sum(np.exp(logits - top))))


def label_probabilities(
    loaded: LoadedModel, prompt: Sequence[int], prefix: str, labels: Sequence[str], suffix: str
) -> dict[str, float]:
    """P(label | prompt + prefix), each label followed by `suffix` (what closes it), normalised
    over `labels`. Runs in an idle slot of the model's scheduler, between its steps (waiting for
    one while every slot decodes); the slot is left holding prompt + prefix."""
    llm, scheduler = loaded.llm, loaded.scheduler

    def tokens(text: str) -> list[int]:
        return list(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    context = [*prompt, *tokens(prefix)]
    pieces = {label: tokens(label + suffix) for label in labels}
    needed = len(context) + max((len(piece) for piece in pieces.values()), default=1) - 1
    if needed > loaded.context:  # its decode would fail part way, in a slot others reuse
        raise ContextLengthExceeded(prompt_tokens=needed, context=loaded.context, backend="llama.cpp")

    def score() -> dict[str, float] | None:
        slot = scheduler.idle_slot()
        if slot is None:
            return None
        native = scheduler.native
        keep = usable(common(slot.tokens, context), context)
        native.drop(slot.seq, keep)
        slot.tokens = context[:keep]  # what its cells hold at every point, should a decode fail
        for at in range(keep, len(context), scheduler.chunk):
            chunk = context[at : at + scheduler.chunk]
            last = at + len(chunk) == len(context)
            native.decode([Entry(slot.seq, t, at + i, last and i == len(chunk) - 1) for i, t in enumerate(chunk)])
            slot.tokens.extend(chunk)
        start = native.logits(len(chunk) - 1 if keep < len(context) else 0).astype("float64")
        scores: dict[str, float] = {}
        for label, piece in pieces.items():
            total = _log_softmax_at(start, piece[0]) if piece else 0.0
            native.drop(slot.seq, len(context))
            for at in range(0, len(piece) - 1, scheduler.chunk):  # a long label in batch-sized pieces
                chunk = piece[at : min(at + scheduler.chunk, len(piece) - 1)]  # its last token needs no logits
                base = len(context) + at
                native.decode([Entry(slot.seq, t, base + i, True) for i, t in enumerate(chunk)])
                for i, token in enumerate(piece[at + 1 : at + 1 + len(chunk)]):
                    total += _log_softmax_at(native.logits(i).astype("float64"), token)
            scores[label] = total
        native.drop(slot.seq, len(context))
        return scores

    while (scores := scheduler.call(score)) is None:
        time.sleep(0.01)  # every slot is decoding: try again after a step or two
    best = max(scores.values())
    weights = {label: math.exp(score - best) for label, score in scores.items()}
    whole = sum(weights.values())
    return {label: weight / whole for label, weight in weights.items()}
