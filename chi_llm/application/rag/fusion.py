"""Hybrid search: the vector and the full-text rankings fused by a convex combination of their
min-max normalized scores (Bruch et al. 2023, "An Analysis of Fusion Functions for Hybrid
Retrieval"), weighted toward the vector ranking.

Each ranking's scores are mapped to 0..1 over its own candidates (best 1, worst 0); a passage
scores `dense_weight * cosine' + (1 - dense_weight) * bm25'`, 0 for a ranking it is not in.
Unlike reciprocal-rank fusion, a passage far ahead in the vector ranking stays ahead unless the
text ranking's evidence outweighs the gap, so a weak lexical ranking cannot drag a strong dense
one down; where dense scores are close, lexical evidence reorders them. The weight was chosen
on Cranfield and checked on three more sets, and against a lexical ranking that is pure noise
(docs/benchmarks.md, "RAG")."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.rag import Hit

CANDIDATES = 50  # passages taken from each ranking (the normalization's range is over these)


def fuse(dense: Sequence[Hit], lexical: Sequence[Hit], *, k: int, dense_weight: float) -> list[Hit]:
    """The k best of both rankings, best first; each hit's score is its cosine similarity
    (lexical hits must carry theirs: a store gives it when given the query vector)."""
    if any(h.similarity is None for h in lexical):
        raise InvalidRequest("hybrid search needs each text hit's similarity: search the store with the query vector")
    similarity = {h.passage.id: _similarity(h) for h in (*lexical, *dense)}
    passages = {h.passage.id: h.passage for h in (*dense, *lexical)}
    dense_part = _normalized([h.score for h in dense])
    lexical_score = {h.passage.id: h.score for h in lexical}
    lexical_part = _normalized(list(lexical_score.values()))
    fused = {
        pid: dense_weight * dense_part(similarity[pid])
        + (1 - dense_weight) * (lexical_part(lexical_score[pid]) if pid in lexical_score else 0.0)
        for pid in passages
    }
    ranked = sorted(passages, key=lambda pid: -fused[pid])[:k]
    return [Hit(passage=passages[pid], score=similarity[pid], similarity=similarity[pid]) for pid in ranked]


def _similarity(hit: Hit) -> float:
    return hit.similarity if hit.similarity is not None else hit.score


def _normalized(scores: Sequence[float]) -> Callable[[float], float]:
    """Min-max over the candidates: best 1, worst 0 (all equal: 1). A score outside the range
    (a text hit's cosine below every vector candidate's) maps below 0, as its distance says."""
    if not scores:
        return lambda _: 0.0
    low, high = min(scores), max(scores)
    if high <= low:
        return lambda _: 1.0
    return lambda score: (score - low) / (high - low)
