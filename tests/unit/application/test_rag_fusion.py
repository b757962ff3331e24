"""Hybrid search's fusion: a convex combination of min-max normalized cosine and BM25 scores,
dense-dominant, so a weak lexical ranking cannot drag a strong dense one down."""

from __future__ import annotations

import pytest

from chi_llm.application.rag.fusion import fuse
from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.rag import Hit, Passage


def hit(name: str, score: float, similarity: float | None = None) -> Hit:
    passage = Passage(id=f"{name}#0", document_id=name, source=name, index=0, start=0, end=1, text=name)
    return Hit(passage=passage, score=score, similarity=similarity)


def names(hits: list[Hit]) -> list[str]:
    return [h.passage.document_id for h in hits]


# dense: A far ahead; lexical (weak) ranks B and C, not A.
DENSE = [hit("A", 0.90, 0.90), hit("B", 0.70, 0.70), hit("C", 0.69, 0.69), hit("D", 0.60, 0.60)]
LEXICAL = [hit("C", 9.0, 0.69), hit("B", 8.5, 0.70), hit("E", 1.0, 0.40)]


def test_a_strong_dense_lead_is_kept_where_reciprocal_rank_fusion_loses_it() -> None:
    # reciprocal rank (k=60) put C first: 1/61 + 1/63 against A's 1/61
    assert names(fuse(DENSE, LEXICAL, k=3, dense_weight=0.8)) == ["A", "B", "C"]


def test_lexical_evidence_breaks_near_ties_of_the_dense_ranking() -> None:
    dense = [hit("A", 0.80, 0.80), hit("B", 0.79, 0.79), hit("C", 0.50, 0.50)]
    lexical = [hit("B", 7.0, 0.79), hit("C", 1.0, 0.50)]
    assert names(fuse(dense, lexical, k=3, dense_weight=0.8)) == ["B", "A", "C"]


def test_scores_shown_are_cosine_similarities() -> None:
    fused = fuse(DENSE, LEXICAL, k=5, dense_weight=0.8)
    assert {h.passage.document_id: h.score for h in fused} == {"A": 0.9, "B": 0.7, "C": 0.69, "D": 0.6, "E": 0.4}
    assert all(h.similarity == h.score for h in fused)


def test_the_weight_ends_are_the_single_rankings() -> None:
    assert names(fuse(DENSE, LEXICAL, k=4, dense_weight=1.0)) == ["A", "B", "C", "D"]
    assert names(fuse(DENSE, LEXICAL, k=2, dense_weight=0.0)) == ["C", "B"]
    assert names(fuse(DENSE, [], k=4, dense_weight=0.8)) == ["A", "B", "C", "D"]  # no term matched
    assert fuse([], [], k=4, dense_weight=0.8) == []


def test_a_lexical_hit_needs_its_similarity() -> None:
    with pytest.raises(InvalidRequest, match="similarity"):
        fuse(DENSE, [hit("E", 1.0)], k=3, dense_weight=0.8)
