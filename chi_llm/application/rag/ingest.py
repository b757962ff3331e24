"""Ingest: text and files into passages and vectors, incrementally (a file whose content hash is
unchanged and whose passages are all stored, once each, is not embedded again; a changed one
replaces its passages; one an interrupted or racing run left incomplete or doubled is stored
again; `prune` drops the passages of files that are gone).

Memory stays a small multiple of the largest file: files are read one at a time, each is
chunked as it is tokenized (chunking.py), and passages are embedded and written in batches of
BATCH_PASSAGES. Writers to one knowledge base take its write lock (`VectorStore.writing`), so
two runs never interleave their deletes and writes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from chi_llm.application.rag import batches
from chi_llm.application.rag.batches import Batch, Pending, complete, content_hash
from chi_llm.application.rag.chunking import iter_spans
from chi_llm.application.rag.names import name_on_disk, stored_name
from chi_llm.domain.ports import DocumentLoader, Embedder, VectorStore
from chi_llm.domain.rag import IngestReport, Passage, RagSettings, SkippedFile

ProgressReport = Callable[[Mapping[str, Any]], None]  # {"files", "files_total", "chunks", "path"}


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

    def passages(self, text: str, document_id: str, source: str, metadata: Mapping[str, Any]) -> Iterator[Passage]:
        """The document's passages, made as its text is tokenized (a segment at a time)."""
        size, overlap = self.settings.chunk_size, self.settings.chunk_overlap

        def tokenize(a: int, b: int) -> list[int]:
            return [a + start for start in self.embedder.token_starts(text[a:b])]

        for index, span in enumerate(iter_spans(text, size, overlap, tokenize)):
            yield Passage(
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

    def add_text(self, text: str, *, document_id: str, source: str, metadata: Mapping[str, Any]) -> int:
        """Store one document (replacing a document of that id); the number of chunks."""
        return self.add_texts([Pending(text, document_id, source, metadata)])

    def add_texts(self, documents: Iterable[Pending]) -> int:
        """Store documents, replacing any of the same ids; the number of chunks written."""
        with self.store.writing():
            self.open()
            return self._store(documents)

    def _store(self, documents: Iterable[Pending], written: Callable[[int], None] = lambda _: None) -> int:
        """Embed and write the documents' passages about BATCH_PASSAGES at a time (one write
        each, so embedding stays the cost); `written` hears the running total after each write."""
        total = 0
        batch = Batch()
        for document in documents:
            batch.begin(document.document_id, document.digest or content_hash(document.text))
            for passage in self.passages(document.text, document.document_id, document.source, document.metadata):
                batch.passages.append(passage)
                if len(batch.passages) >= batches.BATCH_PASSAGES:
                    total += self._write(batch)
                    written(total)
                    batch = batch.following(document.document_id)
        if batch.passages or batch.replaced:
            total += self._write(batch)
            written(total)
        return total

    def _write(self, batch: Batch) -> int:
        vectors = self.embedder.embed_documents([p.text for p in batch.passages])
        if batch.replaced:
            self.store.delete(document_id=batch.replaced)  # one write for the whole batch
        self.store.add(batch.passages, vectors, batch.hashes)
        return len(batch.passages)

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
        with self.store.writing():
            self.open()
            search = self.loader.find(paths, include, exclude)
            files, skipped = search.files, list(search.skipped)
            known = {d.document_id: d for d in self.store.documents()}
            sorted_out: dict[str, list[str]] = {"added": [], "updated": [], "repaired": [], "unchanged": []}
            at = {"files": 0, "path": ""}

            def documents() -> Iterator[Pending]:
                for number, path in enumerate(files, 1):
                    at["files"], at["path"] = number - 1, stored_name(str(path))
                    loaded = self.loader.load(path)
                    if isinstance(loaded, SkippedFile):
                        skipped.append(loaded)
                        continue
                    document_id = stored_name(str(path))
                    digest = content_hash(loaded.text)
                    stored = known.get(document_id)
                    if stored is None or stored.content_hash != digest:
                        sorted_out["added" if stored is None else "updated"].append(document_id)
                    elif complete(stored, len(loaded.text)):
                        sorted_out["unchanged"].append(document_id)
                        continue
                    else:
                        sorted_out["repaired"].append(document_id)
                    meta = {**(metadata or {}), "kind": loaded.kind}
                    yield Pending(loaded.text, document_id, stored_name(loaded.path), meta, digest)
                at["files"] = len(files)

            def report(chunks: int) -> None:
                self.progress({"files": at["files"], "files_total": len(files), "chunks": chunks, "path": at["path"]})

            chunks = self._store(documents(), report)
            pruned = self._prune(paths, files, known) if prune else []
        return IngestReport(
            added=tuple(sorted_out["added"]),
            updated=tuple(sorted_out["updated"]),
            repaired=tuple(sorted_out["repaired"]),
            unchanged=tuple(sorted_out["unchanged"]),
            skipped=tuple(SkippedFile(path=stored_name(s.path), reason=s.reason) for s in skipped),
            pruned=tuple(pruned),
            build_output=search.build_output,
            chunks=chunks,
            seconds=round(time.perf_counter() - started, 3),
        )

    def _prune(self, paths: Sequence[str], files: Iterable[Path], known: Mapping[str, Any]) -> list[str]:
        """Documents under the folders ingested (or named) whose file no longer exists."""
        roots = [stored_name(str(Path(p).expanduser().absolute())) for p in paths if not any(c in p for c in "*?[")]
        present = {stored_name(str(f)) for f in files}
        gone = [
            doc
            for doc in known
            if doc not in present
            and any(doc == r or doc.startswith(r.rstrip("/") + "/") for r in roots)
            and not Path(doc).exists()
            and not Path(name_on_disk(doc)).exists()
        ]
        if gone:
            self.store.delete(document_id=gone)
        return gone
