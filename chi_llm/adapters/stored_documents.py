"""The documents of a knowledge base, from its rows: shared by the stores."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chi_llm.domain.rag import StoredDocument


def stored_documents(rows: Iterable[Mapping[str, Any]]) -> list[StoredDocument]:
    """The documents of a store's rows ({document_id, source, content_hash, chunk, end} each),
    by source: how many chunks each has, whether they are numbered 0..n-1 once each, and where
    the last one ends."""
    grouped: dict[str, tuple[Mapping[str, Any], int, set[int], Mapping[str, Any]]] = {}
    for row in rows:
        first, count, numbers, last = grouped.get(row["document_id"], (row, 0, set(), row))
        numbers.add(int(row["chunk"]))
        last = row if int(row["chunk"]) >= int(last["chunk"]) else last
        grouped[row["document_id"]] = (first, count + 1, numbers, last)
    documents = [
        StoredDocument(
            document_id=document_id,
            source=first["source"],
            content_hash=first["content_hash"],
            chunks=count,
            intact=count == len(numbers) == int(last["chunk"]) + 1,
            length=int(last["end"]),
        )
        for document_id, (first, count, numbers, last) in grouped.items()
    ]
    return sorted(documents, key=lambda d: (d.source, d.document_id))
