"""RagService: a knowledge base's use cases — ingest (ingest.py), search, and answers grounded
in numbered sources, with the citations the answer used."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from chi_llm.application.generation import GenerationService, grounded
from chi_llm.application.rag.batches import Pending, content_hash
from chi_llm.application.rag.citations import (
    AnswerStream,
    AsyncAnswerStream,
    CitationFilter,
    without_foreign_citations,
)
from chi_llm.application.rag.fusion import CANDIDATES, fuse
from chi_llm.application.rag.ingest import Ingestor
from chi_llm.application.rag.names import checked_filter, stored_name
from chi_llm.domain.errors import ChiLlmError, InvalidRequest
from chi_llm.domain.generation import (
    DEFAULT_CONTEXT,
    Completion,
    GenerationOptions,
    GenerationRequest,
    answer_room,
    close_stream,
)
from chi_llm.domain.messages import Message
from chi_llm.domain.rag import SEARCH_MODES, Hit, IngestReport, RagAnswer, SearchMode, StoredDocument, StoreInfo

NOTHING_FOUND = "The knowledge base has nothing on this question."
Where = Mapping[str, Any] | None  # a metadata filter
Options = GenerationOptions | None
Mode = str | None  # a search mode (None: the configured one)
Search = tuple[int | None, Where, Mode]  # top_k, where, mode

SYSTEM = (
    "Answer the question using only the numbered sources. After each statement, cite the sources "
    "it comes from in square brackets, like [1] or [2][3]. If the sources do not answer the "
    "question, say that they do not."
)


@dataclass(frozen=True, slots=True)
class SourcesFound:
    """The first event of a streamed answer: the sources it is grounded in."""

    sources: tuple[Hit, ...]
    found: bool


def grounded_prompt(question: str, hits: Sequence[Hit]) -> str:
    blocks = []
    for number, hit in enumerate(hits, 1):
        where = hit.passage.source + (f" — {hit.passage.heading}" if hit.passage.heading else "")
        blocks.append(f"[{number}] ({where})\n{hit.passage.text.strip()}")
    return "Sources:\n\n" + "\n\n".join(blocks) + f"\n\nQuestion: {question}"


def nothing_found(question: str) -> RagAnswer:
    return RagAnswer(question=question, answer=NOTHING_FOUND, sources=(), cited=(), found=False)


def answered(question: str, text: str, hits: Sequence[Hit]) -> RagAnswer:
    """The answer, citations of sources that were not given removed (and listed)."""
    answer, numbers, removed = without_foreign_citations(text, len(hits))
    return RagAnswer(
        question=question,
        answer=answer.strip(),
        sources=tuple(hits),
        cited=numbers,
        found=True,
        removed_citations=removed,
    )


class RagService:
    def __init__(self, *, ingestor: Ingestor, generation: GenerationService) -> None:
        self.ingestor = ingestor
        self.store = ingestor.store
        self.embedder = ingestor.embedder
        self.settings = ingestor.settings
        self.generation = generation

    # -- ingest ------------------------------------------------------------------------------
    def add_document(self, text: str, metadata: Mapping[str, Any] | None = None, id: str | None = None) -> str:
        """Store a text (replacing one with the same id); returns its document id."""
        return self.add_documents([(text, metadata, id)])[0]

    def add_documents(self, documents: Sequence[tuple[str, Mapping[str, Any] | None, str | None]]) -> list[str]:
        """(text, metadata, id) triples stored in batches; their document ids."""
        pending = []
        for number, (text, metadata, id) in enumerate(documents, 1):
            if not text.strip():
                raise InvalidRequest(f"document {id or number} is empty: nothing was added")
            meta = dict(metadata or {})
            document_id = stored_name(id or f"text:{content_hash(text)[:16]}")
            pending.append(Pending(text, document_id, stored_name(str(meta.get("source") or document_id)), meta))
        self.ingestor.add_texts(pending)
        return [p.document_id for p in pending]

    def add_files(self, paths: Sequence[str], **options: Any) -> IngestReport:
        return self.ingestor.add_files(paths, **options)

    # -- reading -----------------------------------------------------------------------------
    def search(
        self, query: str, top_k: int | None = None, where: Mapping[str, Any] | None = None, mode: str | None = None
    ) -> list[Hit]:
        return self._search(query, top_k, where, mode, None)

    def _search(
        self,
        query: str,
        top_k: int | None,
        where: Mapping[str, Any] | None,
        mode: str | None,
        vector: list[float] | None,
    ) -> list[Hit]:
        """`vector`: the query's embedding when the caller has it already (embedded once)."""
        chosen = mode or self.settings.mode
        if chosen not in SEARCH_MODES:
            raise InvalidRequest(f"mode must be one of {', '.join(SEARCH_MODES)}, got {chosen!r}")
        if not query.strip():
            raise InvalidRequest("the query is empty")
        search_mode: SearchMode = chosen
        where = checked_filter(where)
        if search_mode != "text" and vector is None:
            vector = self.embedder.embed_query(query)
        k = top_k or self.settings.top_k
        if search_mode != "hybrid":
            return self.store.search(vector=vector, text=query, k=k, mode=search_mode, where=where)
        depth = max(k, CANDIDATES)
        with ThreadPoolExecutor(max_workers=1) as pool:  # the text search runs beside the vector one
            lexical = pool.submit(self.store.search, vector=vector, text=query, k=depth, mode="text", where=where)
            dense = self.store.search(vector=vector, text=None, k=depth, mode="vector", where=where)
            return fuse(dense, lexical.result(), k=k, dense_weight=self.settings.dense_weight)

    def relevant(self, query: str, where: Mapping[str, Any] | None = None) -> bool:
        """Whether anything is close enough to answer from: the best passage's cosine similarity
        reaches `min_score` (the relevance cutoff, which also keeps less similar passages out
        of an answer's sources)."""
        return self._relevant(self.embedder.embed_query(query), where)

    def _relevant(self, vector: list[float], where: Mapping[str, Any] | None) -> bool:
        best = self.store.search(vector=vector, text=None, k=1, mode="vector", where=checked_filter(where))
        return bool(best) and best[0].score >= self.settings.min_score

    def _request(self, question: str, hits: Sequence[Hit], options: GenerationOptions | None) -> GenerationRequest:
        messages = [Message(role="user", content=grounded_prompt(question, hits))]
        return self.generation.chat_request(messages, grounded(self._bounded(options)), system=SYSTEM)

    def _bounded(self, options: GenerationOptions | None) -> GenerationOptions:
        """An answer's max_tokens, unless the call sets it: rag.max_tokens, or the configured
        max_tokens when lower, at most a quarter of the answering model's context."""
        options = options or GenerationOptions()
        if options.max_tokens is not None:
            return options
        configured = self.generation.defaults.max_tokens
        wanted = min(self.settings.max_tokens, configured) if configured else self.settings.max_tokens
        try:
            context = self.generation.generator.context_window() or DEFAULT_CONTEXT
        except ChiLlmError:  # the first provider cannot say (its model cannot be had): routing decides later
            context = DEFAULT_CONTEXT
        return replace(options, max_tokens=answer_room(context, wanted))

    def _sources(
        self, question: str, top_k: int | None, where: Mapping[str, Any] | None, mode: str | None
    ) -> tuple[list[Hit], bool]:
        where = checked_filter(where)
        if self.store.count() == 0:
            return [], False
        vector = self.embedder.embed_query(question)  # once, for the relevance check and the search
        if not self._relevant(vector, where):
            return [], False
        hits = self._search(question, top_k, where, mode, vector)
        kept = [h for h in hits if h.similarity is not None and h.similarity >= self.settings.min_score]
        return kept, bool(kept)

    def query(
        self, question: str, top_k: int | None = None, where: Where = None, mode: Mode = None, options: Options = None
    ) -> RagAnswer:
        hits, found = self._sources(question, top_k, where, mode)
        if not found:
            return nothing_found(question)
        done: Completion = self.generation.generate(self._request(question, hits, options))
        return answered(question, done.text, hits)

    async def aquery(
        self, question: str, top_k: int | None = None, where: Where = None, mode: Mode = None, options: Options = None
    ) -> RagAnswer:
        import asyncio  # only async callers pay for it

        hits, found = await asyncio.to_thread(self._sources, question, top_k, where, mode)
        if not found:
            return nothing_found(question)
        done = await self.generation.agenerate(self._request(question, hits, options))
        return answered(question, done.text, hits)

    def stream_query(
        self, question: str, top_k: int | None = None, where: Where = None, mode: Mode = None, options: Options = None
    ) -> AnswerStream[SourcesFound | str]:
        """The sources first (a SourcesFound), then the answer's text deltas, citations of
        sources that were not given removed (`removed_citations` once it is read)."""
        check = CitationFilter()
        return AnswerStream(self._stream_query(question, (top_k, where, mode), options, check), check)

    def astream_query(self, question: str, **kwargs: Any) -> AsyncAnswerStream[SourcesFound | str]:
        check = CitationFilter()
        search = (kwargs.get("top_k"), kwargs.get("where"), kwargs.get("mode"))
        return AsyncAnswerStream(self._astream_query(question, search, kwargs.get("options"), check), check)

    @staticmethod
    def _lead(hits: list[Hit], found: bool, check: CitationFilter) -> list[SourcesFound | str]:
        """What a streamed answer starts with: its sources; with none, the answer saying so."""
        if found:
            check.sources = len(hits)
        return [SourcesFound(sources=tuple(hits), found=found), *(() if found else (NOTHING_FOUND,))]

    @staticmethod
    def _shown(check: CitationFilter, text: str | None) -> list[str]:
        """What an answer's delta (None: its end) adds to the cleaned answer."""
        shown = check.flush() if text is None else check.feed(text) if text else ""
        return [shown] if shown else []

    def _stream_query(
        self, question: str, search: Search, options: Options, check: CitationFilter
    ) -> Iterator[SourcesFound | str]:
        hits, found = self._sources(question, *search)
        yield from self._lead(hits, found, check)
        if not found:
            return
        stream = self.generation.stream(self._request(question, hits, options))
        try:
            for chunk in stream:
                yield from self._shown(check, chunk.text)
        finally:
            close_stream(stream)  # stops decoding when the reader leaves early
        yield from self._shown(check, None)

    async def _astream_query(
        self, question: str, search: Search, options: Options, check: CitationFilter
    ) -> AsyncIterator[SourcesFound | str]:
        import asyncio

        hits, found = await asyncio.to_thread(self._sources, question, *search)
        for lead in self._lead(hits, found, check):
            yield lead
        if not found:
            return
        async for chunk in self.generation.astream(self._request(question, hits, options)):
            for shown in self._shown(check, chunk.text):
                yield shown
        for shown in self._shown(check, None):
            yield shown

    # -- managing ----------------------------------------------------------------------------
    def delete(self, *, id: str | None = None, source: str | None = None) -> int:
        if (id is None) == (source is None):
            raise InvalidRequest("delete takes one of id= or source=")
        with self.store.writing():
            if id is not None:
                return self.store.delete(document_id=stored_name(id))
            return self.store.delete(source=stored_name(source or ""))

    def count(self) -> int:
        return self.store.count()

    def documents(self) -> list[StoredDocument]:
        return self.store.documents()

    def clear(self) -> None:
        with self.store.writing():
            self.store.clear()

    def info(self) -> StoreInfo:
        return self.store.info()
