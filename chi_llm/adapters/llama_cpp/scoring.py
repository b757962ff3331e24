"""How likely each label is as the continuation of a prompt: the model's own log-probabilities,
token by token, normalised over the labels. What `classify` reports as its confidence."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from chi_llm.adapters.llama_cpp.loader import LoadedModel


def _log_softmax_at(logits: Any, token: int) -> float:
    import numpy as np

    top = float(np.max(logits))
    return float(logits[token]) - top - math.log(float(np.sum(np.exp(logits - top))))


def label_probabilities(
    loaded: LoadedModel, prompt: Sequence[int], prefix: str, labels: Sequence[str], suffix: str
) -> dict[str, float]:
    """P(label | prompt + prefix), each label followed by `suffix` (what closes it), normalised
    over `labels`. Runs on the model's decode thread; the cache is left holding prompt + prefix."""
    import numpy as np

    llm = loaded.llm
    vocab = llm.n_vocab()

    def logits() -> Any:
        return np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(vocab,)).astype(np.float64)

    def tokens(text: str) -> list[int]:
        return list(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    with loaded.lock:
        loaded.sessions.activate(llm, None)
        llm.reset()
        llm.eval([*prompt, *tokens(prefix)])
        start, at = logits(), llm.n_tokens
        scores: dict[str, float] = {}
        for label in labels:
            llm.n_tokens = at  # back to the end of the prefix: the next eval overwrites the rest
            current, total = start, 0.0
            pieces = tokens(label + suffix)
            for index, token in enumerate(pieces):
                total += _log_softmax_at(current, token)
                if index + 1 < len(pieces):
                    llm.eval([token])
                    current = logits()
            scores[label] = total
        llm.n_tokens = at
    best = max(scores.values())
    weights = {label: math.exp(score - best) for label, score in scores.items()}
    whole = sum(weights.values())
    return {label: weight / whole for label, weight in weights.items()}
