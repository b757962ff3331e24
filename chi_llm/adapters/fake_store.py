"""An in-memory VectorStore: exact cosine search and a small BM25. It passes the VectorStore
contract, so the CLI, bridge and tests can run RAG with no database."""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from chi_llm.adapters.stored_documents import stored_documents
from chi_llm.domain.errors import ConfigError
from chi_llm.domain.ports import VectorStore
from chi_llm.domain.rag import Hit, Passage, RankingMode, StoredDocument, StoreInfo

_WORD = re.compile(r"\w+")
Row = tuple[Passage, list[float], str]  # passage, vector, content hash


def _terms(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


class InMemoryStore(VectorStore):
    def __init__(self, name: str = "default") -> None:
        self.name = name
        self._model: tuple[str, int] | None = None
        self._rows: list[Row] = []
        self._writing = threading.Lock()  # one process holds it: a thread lock serializes its writers

    def open(self, *, model_id: str, dimension: int) -> None:
        if self._model is None:
            self._model = (model_id, dimension)
        elif self._model != (model_id, dimension):
            raise ConfigError(
                f"knowledge base {self.name!r} was built with {self._model[0]} ({self._model[1]} dimensions), "
                f"not {model_id} ({dimension})",
                key="rag.embedding_model",
            )

    def add(self, passages: Sequence[Passage], vectors: Sequence[Sequence[float]], hashes: Mapping[str, str]) -> None:
        if self._model is None:
            raise ConfigError("open the knowledge base before adding to it", key="rag")
        for passage, vector in zip(passages, vectors, strict=True):
            if len(vector) != self._model[1]:
                raise ConfigError(f"vector of {len(vector)} dimensions, expected {self._model[1]}", key="rag")
            self._rows.append((passage, list(vector), hashes[passage.document_id]))

    def delete(self, *, document_id: str | Sequence[str] | None = None, source: str | None = None) -> int:
        before = len(self._rows)
        ids = {document_id} if isinstance(document_id, str) else set(document_id or ())
        self._rows = [
            r
            for r in self._rows
            if not (
                (document_id is not None and r[0].document_id in ids) or (document_id is None and r[0].source == source)
            )
        ]
        return before - len(self._rows)

    def search(
        self,
        *,
        vector: Sequence[float] | None,
        text: str | None,
        k: int,
        mode: RankingMode,
        where: Mapping[str, Any] | None = None,
    ) -> list[Hit]:
        rows = [r for r in self._rows if _matches(r[0], where)]
        if mode == "vector":
            return [
                Hit(passage=p, score=round(s, 6), similarity=round(s, 6))
                for p, s in self._by_vector(rows, vector or ())[:k]
            ]
        similarity = {p.id: round(s, 6) for p, s in self._by_vector(rows, vector)} if vector is not None else {}
        return [
            Hit(passage=p, score=round(s, 6), similarity=similarity.get(p.id))
            for p, s in self._by_text(rows, text or "")[:k]
        ]

    @staticmethod
    def _by_vector(rows: list[Row], vector: Sequence[float]) -> list[tuple[Passage, float]]:
        norm = math.sqrt(sum(x * x for x in vector)) or 1.0
        scored = []
        for passage, stored, _ in rows:
            other = math.sqrt(sum(x * x for x in stored)) or 1.0
            scored.append((passage, sum(a * b for a, b in zip(vector, stored, strict=True)) / (norm * other)))
        return sorted(scored, key=lambda pair: -pair[1])

    @staticmethod
    def _by_text(rows: list[Row], text: str) -> list[tuple[Passage, float]]:
        """BM25 (k1 1.2, b 0.75); passages sharing no term are not ranked."""
        query = set(_terms(text))
        docs = [(p, Counter(_terms(p.text))) for p, _, _ in rows]
        if not docs or not query:
            return []
        average = sum(sum(c.values()) for _, c in docs) / len(docs) or 1.0
        frequency = {t: sum(1 for _, c in docs if t in c) for t in query}
        scored = []
        for passage, counts in docs:
            length = sum(counts.values())
            score = 0.0
            for term in query & counts.keys():
                idf = math.log(1 + (len(docs) - frequency[term] + 0.5) / (frequency[term] + 0.5))
                tf = counts[term]
                score += idf * tf * 2.2 / (tf + 1.2 * (1 - 0.75 + 0.75 * length / average))
            if score > 0:
                scored.append((passage, score))
        return sorted(scored, key=lambda pair: -pair[1])

    def documents(self) -> list[StoredDocument]:
        return stored_documents(
            {"document_id": p.document_id, "source": p.source, "content_hash": h, "chunk": p.index, "end": p.end}
            for p, _, h in self._rows
        )

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._writing:
            yield

    def count(self) -> int:
        return len(self._rows)

    def clear(self) -> None:
        self._rows = []
        self._model = None

    def info(self) -> StoreInfo:
        model, dimension = self._model or (None, None)
        return StoreInfo(
            name=self.name,
            uri="memory:",
            embedding_model=model,
            dimension=dimension,
            chunks=self.count(),
            documents=len(self.documents()),
            vector_index=False,
        )


def _matches(passage: Passage, where: Mapping[str, Any] | None) -> bool:
    for key, value in (where or {}).items():
        actual = getattr(passage, key) if key in ("source", "document_id", "heading") else passage.metadata.get(key)
        if actual != value or type(actual) is not type(value):
            return False
    return True
