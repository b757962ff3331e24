"""MicroRAG: ask questions of your documents, answered with cited sources. `quick_rag` for one
question over a few texts. The knowledge base persists (LanceDB) unless `db_path="memory:"`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, overload

from chi_llm.application.rag.citations import AnswerStream, AsyncAnswerStream
from chi_llm.application.rag.service import SourcesFound
from chi_llm.domain.rag import Hit, IngestReport, RagAnswer, StoredDocument, StoreInfo
from chi_llm.entrypoints.wiring import wire


class MicroRAG:
    """A knowledge base and the model that answers from it.

    Args:
        db_path: a folder or LanceDB URI (`s3://bucket/prefix` with `rag.storage_options` in the
            configuration); `"memory:"` keeps it in this process only. Default: `rag.db`, else
            `.chi_llm/rag` in the project, else `<cache_dir>/rag`.
        name: the knowledge base (one table per name).
        embedding_model: a fastembed model name (default BAAI/bge-small-en-v1.5, from the
            package index, offline after the first use); a knowledge base keeps the model it was
            built with.
        llm: a MicroLLM to answer with (default: the configured model or provider).
        config_path: an extra configuration file, as for MicroLLM.
    """

    def __init__(
        self,
        db_path: str | Path | None = None,
        name: str | None = None,
        embedding_model: str | None = None,
        llm: Any = None,
        config_path: str | Path | None = None,
        *,
        top_k: int | None = None,
        mode: str | None = None,
        progress: Any = None,
    ) -> None:
        container = wire(config_path)
        overrides = {
            "db": str(db_path) if db_path is not None else None,
            "name": name,
            "embedding_model": embedding_model,
            "top_k": top_k,
            "mode": mode,
        }
        container.rag_overrides.override(overrides)
        if progress is not None:
            container.rag_progress.override(progress)
        if llm is not None:
            container.generation.override(llm._service)
        self._rag = container.rag()
        self._container = container
        self.db_path = container.rag_db()
        self.name: str = self._rag.settings.name

    @classmethod
    def from_config(cls, path: str | Path, **kwargs: Any) -> MicroRAG:
        """A MicroRAG configured by a file (its `rag:` key and the model settings)."""
        return cls(config_path=path, **kwargs)

    # -- adding ------------------------------------------------------------------------------
    def add_document(self, text: str, metadata: Mapping[str, Any] | None = None, id: str | None = None) -> str:
        """Add (or replace, by id) one text; returns its document id."""
        return self._rag.add_document(text, metadata, id)

    def add_documents(self, documents: Iterable[str | Mapping[str, Any]]) -> list[str]:
        """Texts, or mappings {text, metadata?, id?}; embedded and written in batches."""
        triples = [
            (d, None, None) if isinstance(d, str) else (d["text"], d.get("metadata"), d.get("id")) for d in documents
        ]
        return self._rag.add_documents(triples)

    def add_files(
        self,
        paths: str | Sequence[str],
        *,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        prune: bool = False,
    ) -> IngestReport:
        """Files, folders (recursively, honouring .gitignore) or globs; unchanged files are skipped."""
        listed = [paths] if isinstance(paths, str) else list(paths)
        return self._rag.add_files([str(p) for p in listed], include=include, exclude=exclude, prune=prune)

    # -- asking ------------------------------------------------------------------------------
    def search(
        self, query: str, top_k: int = 5, filter: Mapping[str, Any] | None = None, mode: str | None = None
    ) -> list[Hit]:
        """The `top_k` passages nearest `query`, best first, without generating: `mode` is
        `hybrid` (default), `vector` or `text`; `filter` keeps passages whose `source`,
        `document_id`, `heading` or metadata keys equal the values given.

        ```python
        from chi_llm import MicroRAG

        rag = MicroRAG(db_path="memory:", embedding_model="fake")
        rag.add_document("Invoices are paid in 30 days.", metadata={"team": "finance"}, id="fin-1")
        hits = rag.search("invoices", top_k=1, filter={"team": "finance"})
        assert hits[0].passage.document_id == "fin-1"
        ```
        """
        return self._rag.search(query, top_k, filter, mode)

    @overload
    def query(
        self, question: str, top_k: int | None = None, include_sources: Literal[False] = False, **kwargs: Any
    ) -> str: ...

    @overload
    def query(
        self, question: str, top_k: int | None = None, *, include_sources: Literal[True], **kwargs: Any
    ) -> RagAnswer: ...

    @overload
    def query(self, question: str, top_k: int | None, include_sources: Literal[True], **kwargs: Any) -> RagAnswer: ...

    def query(
        self, question: str, top_k: int | None = None, include_sources: bool = False, **kwargs: Any
    ) -> str | RagAnswer:
        """The answer; with `include_sources=True` a RagAnswer (answer, sources, cited numbers)."""
        answer = self._rag.query(question, top_k, kwargs.get("filter"), kwargs.get("mode"))
        return answer if include_sources else answer.answer

    def stream_query(self, question: str, top_k: int | None = None, **kwargs: Any) -> AnswerStream[SourcesFound | str]:
        """The sources first (a SourcesFound), then the answer's text as it is generated; once
        read to the end, `.removed_citations` lists the citations of sources not given."""
        return self._rag.stream_query(question, top_k, kwargs.get("filter"), kwargs.get("mode"))

    @overload
    async def aquery(
        self, question: str, top_k: int | None = None, include_sources: Literal[False] = False, **kwargs: Any
    ) -> str: ...

    @overload
    async def aquery(
        self, question: str, top_k: int | None = None, *, include_sources: Literal[True], **kwargs: Any
    ) -> RagAnswer: ...

    @overload
    async def aquery(
        self, question: str, top_k: int | None, include_sources: Literal[True], **kwargs: Any
    ) -> RagAnswer: ...

    async def aquery(
        self, question: str, top_k: int | None = None, include_sources: bool = False, **kwargs: Any
    ) -> str | RagAnswer:
        """`query` for asyncio: the answer; with `include_sources=True` a RagAnswer."""
        answer = await self._rag.aquery(question, top_k, kwargs.get("filter"), kwargs.get("mode"))
        return answer if include_sources else answer.answer

    def astream_query(
        self, question: str, top_k: int | None = None, **kwargs: Any
    ) -> AsyncAnswerStream[SourcesFound | str]:
        """`stream_query` for asyncio: a SourcesFound event first, then the answer's text deltas."""
        return self._rag.astream_query(question, top_k=top_k, where=kwargs.get("filter"), mode=kwargs.get("mode"))

    def larger_model_hint(self) -> str | None:
        """After an answer: when the embedded model that gave it is a very small one (the 135M
        default), a line naming a larger catalog model that fits this machine; else None."""
        from chi_llm.application.rag.model_hint import larger_model_hint
        from chi_llm.entrypoints.container import profile_model

        profile = getattr(self._rag.generation.generator, "served", None)  # the router: who answered
        if profile is None or profile.type != "local":
            return None
        return larger_model_hint(self._container.advisor(), profile_model(profile, self._container.settings()))

    # -- managing ----------------------------------------------------------------------------
    def delete(self, *, id: str | None = None, source: str | None = None) -> int:
        """Remove a document by `id`, or every passage of a `source` file; returns how many passages went."""
        return self._rag.delete(id=id, source=source)

    def count(self) -> int:
        """How many passages the knowledge base holds."""
        return self._rag.count()

    def list_sources(self) -> list[StoredDocument]:
        """Each document stored: its source, id, content hash and number of passages."""
        return self._rag.documents()

    def info(self) -> StoreInfo:
        """Where the knowledge base lives, its embedding model and dimension, and its size."""
        return self._rag.info()

    def clear(self) -> None:
        """Remove every passage of this knowledge base."""
        self._rag.clear()

    def close(self) -> None:
        """Nothing to release today (LanceDB and fastembed hold no exclusive handles)."""

    def __enter__(self) -> MicroRAG:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def quick_rag(question: str, documents: Sequence[str], **kwargs: Any) -> str:
    """One question over a few texts, in memory: the answer."""
    rag = MicroRAG(db_path="memory:", **kwargs)
    rag.add_documents(documents)
    return rag.query(question)
