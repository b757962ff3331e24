"""Ingest: text and files into passages and vectors, incrementally (a file whose content hash is
unchanged is not embedded again; a changed one replaces its passages; `prune` drops the
passages of files that are gone)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chi_llm.application.rag.chunking import chunk_spans
from chi_llm.application.rag.names import name_on_disk, stored_name
from chi_llm.domain.ports import DocumentLoader, Embedder, VectorStore
from chi_llm.domain.rag import IngestReport, Passage, RagSettings, SkippedFile

ProgressReport = Callable[[Mapping[str, Any]], None]  # {"files", "files_total", "chunks", "path"}


BATCH_PASSAGES = 256  # passages embedded and written together
BATCH_FILES = 64  # files read before their passages are embedded (progress is reported per batch)


@dataclass(frozen=True, slots=True)
class Pending:
    """A document to store."""

    text: str
    document_id: str
    source: str
    metadata: Mapping[str, Any]


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _nothing(_: Mapping[str, Any]) -> None:
    return None


class Ingestor:
    def __init__(
        self,
        *,
        embedder: Embedder,
        store: VectorStore,
        loader: DocumentLoader,
        settings: RagSettings,
        progress: ProgressReport = _nothing,
    ) -> None:
        self.embedder = embedder
        self.store = store
        self.loader = loader
        self.settings = settings
        self.progress = progress

    def open(self) -> None:
        self.store.open(model_id=self.embedder.model_id, dimension=self.embedder.dimension)

    def passages(self, text: str, document_id: str, source: str, metadata: Mapping[str, Any]) -> list[Passage]:
        size, overlap = self.settings.chunk_size, self.settings.chunk_overlap
        spans = chunk_spans(text, size, overlap, starts=self.embedder.token_starts(text))
        return [
            Passage(
                id=f"{document_id}#{index}",
                document_id=document_id,
                source=source,
                index=index,
                start=span.start,
                end=span.end,
                text=text[span.start : span.end],
                heading=span.heading,
                metadata=dict(metadata),
            )
            for index, span in enumerate(spans)
        ]

    def add_text(self, text: str, *, document_id: str, source: str, metadata: Mapping[str, Any]) -> int:
        """Store one document (replacing a document of that id); the number of chunks."""
        return self.add_texts([Pending(text, document_id, source, metadata)])

    def add_texts(self, documents: Sequence[Pending]) -> int:
        """Store documents, replacing any of the same ids: embedded, then written in batches of
        about BATCH_PASSAGES passages (one write each, so embedding stays the cost)."""
        self.open()
        written = 0
        batch: list[tuple[Pending, list[Passage]]] = []
        size = 0
        for document in documents:
            passages = self.passages(document.text, document.document_id, document.source, document.metadata)
            batch.append((document, passages))
            size += len(passages)
            if size >= BATCH_PASSAGES:
                written += self._write(batch)
                batch, size = [], 0
        return written + (self._write(batch) if batch else 0)

    def _write(self, batch: Sequence[tuple[Pending, list[Passage]]]) -> int:
        passages = [p for _, group in batch for p in group]
        vectors = self.embedder.embed_documents([p.text for p in passages])
        self.store.delete(document_id=[document.document_id for document, _ in batch])  # one write
        self.store.add(passages, vectors, {d.document_id: content_hash(d.text) for d, _ in batch})
        return len(passages)

    def add_files(
        self,
        paths: Sequence[str],
        *,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        prune: bool = False,
        metadata: Mapping[str, Any] | None = None,
    ) -> IngestReport:
        started = time.perf_counter()
        self.open()
        files, skipped = self.loader.find(paths, include, exclude)
        known = {d.document_id: d.content_hash for d in self.store.documents()}
        added: list[str] = []
        updated: list[str] = []
        unchanged: list[str] = []
        pending: list[Pending] = []
        chunks = 0
        for number, path in enumerate(files, 1):
            loaded = self.loader.load(path)
            if isinstance(loaded, SkippedFile):
                skipped.append(loaded)
                continue
            document_id = stored_name(str(path))
            if known.get(document_id) == content_hash(loaded.text):
                unchanged.append(document_id)
                continue
            meta = {**(metadata or {}), "kind": loaded.kind}
            pending.append(Pending(loaded.text, document_id, stored_name(loaded.path), meta))
            (updated if document_id in known else added).append(document_id)
            if len(pending) >= BATCH_FILES or number == len(files):
                chunks += self.add_texts(pending)
                pending = []
                self.progress({"files": number, "files_total": len(files), "chunks": chunks, "path": document_id})
        if pending:
            chunks += self.add_texts(pending)
        pruned = self._prune(paths, files, known) if prune else []
        return IngestReport(
            added=tuple(added),
            updated=tuple(updated),
            unchanged=tuple(unchanged),
            skipped=tuple(SkippedFile(path=stored_name(s.path), reason=s.reason) for s in skipped),
            pruned=tuple(pruned),
            chunks=chunks,
            seconds=round(time.perf_counter() - started, 3),
        )

    def _prune(self, paths: Sequence[str], files: Iterable[Path], known: Mapping[str, str]) -> list[str]:
        """Documents under the folders ingested (or named) whose file no longer exists."""
        roots = [str(Path(p).expanduser().absolute()) for p in paths if not any(c in p for c in "*?[")]
        roots = [stored_name(r) for r in roots]
        present = {stored_name(str(f)) for f in files}
        gone = [
            doc
            for doc in known
            if doc not in present
            and any(doc == r or doc.startswith(r.rstrip("/") + "/") for r in roots)
            and not Path(doc).exists()
            and not Path(name_on_disk(doc)).exists()
        ]
        for doc in gone:
            self.store.delete(document_id=doc)
        return gone
