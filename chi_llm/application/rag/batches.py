"""Documents on their way into a knowledge base: what is pending, its content hash, the batches
passages are embedded and written in, and whether a stored document is all there."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chi_llm.domain.rag import Passage, StoredDocument

BATCH_PASSAGES = 256  # passages embedded and written together
_HASH_STEP = 1 << 20  # characters encoded at a time for the content hash


@dataclass(frozen=True, slots=True)
class Pending:
    """A document to store (`digest`: its content hash, when already known)."""

    text: str
    document_id: str
    source: str
    metadata: Mapping[str, Any]
    digest: str = ""


def content_hash(text: str) -> str:
    digest = hashlib.sha256()
    for start in range(0, len(text), _HASH_STEP):  # never a second copy of a large text at once
        digest.update(text[start : start + _HASH_STEP].encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def complete(stored: StoredDocument, length: int) -> bool:
    """Whether a stored document's passages are all there, once each: numbered 0..n-1 with
    no number twice (a racing run doubles them), the last one ending where the text ends (an
    interrupted run leaves the tail out)."""
    return stored.intact and stored.length == length


@dataclass(slots=True)
class Batch:
    """Passages waiting to be embedded and written, and the documents whose old passages the
    write replaces (those that start in this batch)."""

    passages: list[Passage] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)

    def begin(self, document_id: str, digest: str) -> None:
        if document_id in self.hashes:  # the same id again: the later text replaces the earlier
            self.passages = [p for p in self.passages if p.document_id != document_id]
        self.replaced.append(document_id)
        self.hashes[document_id] = digest

    def following(self, document_id: str) -> Batch:
        """The next batch, continuing the document being chunked."""
        return Batch(hashes={document_id: self.hashes[document_id]})
