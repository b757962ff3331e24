"""chi_llm 2.x's `chi_llm.rag`: MicroRAG with 2.x's methods and results (`search` gives Documents,
`query(include_sources=True)` a dict), Document, quick_rag and the embedding wrappers — over
today's knowledge base (`from chi_llm import MicroRAG`, whose results are typed)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chi_llm.application.generation import grounded
from chi_llm.application.rag.service import SYSTEM, grounded_prompt, nothing_found
from chi_llm.domain.messages import Message
from chi_llm.domain.rag import Hit
from chi_llm.entrypoints import rag as today
from chi_llm.entrypoints.legacy_api import old_spelling

SHOWN_CHARACTERS = 200  # of each source in query(include_sources=True), as 2.x
_LEGACY_FILE_KEYS = ("db_path", "embedding_model", "llm", "documents")


@dataclass
class Document:
    """A text in the knowledge base, as 2.x's search returned it."""

    id: str
    content: str
    metadata: dict[str, Any] | None = None
    embedding: Any = None


class MicroRAG:
    """2.x's MicroRAG. Every other method and attribute is today's MicroRAG's (add_files, delete,
    info, stream_query, ...)."""

    def __init__(
        self,
        db_path: str | Path | None = None,
        embedding_model: str | None = None,
        llm: Any = None,
        config_path: str | Path | None = None,
        auto_init: bool = True,
    ) -> None:
        self.today = today.MicroRAG(db_path, embedding_model=embedding_model, llm=llm, config_path=config_path)
        self.auto_init = auto_init  # today the knowledge base is ready once constructed

    def __getattr__(self, name: str) -> Any:
        return getattr(self.today, name)

    @classmethod
    def from_config(cls, yaml_path: str | Path) -> MicroRAG:
        """2.x's file (`db_path`, `embedding_model`, `llm`: MicroLLM arguments, `documents`: [{content,
        id?, metadata?}], each added again on every load), or today's configuration file."""
        from chi_llm.adapters.config_files import read_config

        path = Path(yaml_path)
        values = dict(read_config(path))
        if not any(key in values for key in _LEGACY_FILE_KEYS):
            return cls(config_path=path)
        llm = None
        if isinstance(values.get("llm"), Mapping):
            from chi_llm.entrypoints.facade import MicroLLM

            llm = MicroLLM(**values["llm"])
        rag = cls(values.get("db_path"), values.get("embedding_model"), llm)
        rag.add_documents(
            Document(id=d.get("id"), content=d["content"], metadata=d.get("metadata"))
            for d in values.get("documents") or ()
        )
        return rag

    def initialize(self) -> None:
        """Nothing to do: the knowledge base is ready once constructed."""

    def add_document(self, content: str, doc_id: str | None = None, metadata: Mapping[str, Any] | None = None) -> str:
        """Add (or replace, by id) one text; returns its id."""
        return self.today.add_document(content, metadata, doc_id)

    def add_documents(self, documents: Iterable[str | Document]) -> list[str]:
        """Texts or Documents; returns their ids."""
        return self.today.add_documents(
            d if isinstance(d, str) else {"text": d.content, "metadata": d.metadata, "id": d.id} for d in documents
        )

    def _matches(self, query: str, top_k: int, threshold: float) -> list[Hit]:
        """The `top_k` passages most similar to `query` whose cosine similarity is at least `threshold`."""
        return [h for h in self.today.search(query, top_k, mode="vector") if h.score >= threshold]

    def search(self, query: str, top_k: int = 3, threshold: float = 0.5) -> list[Document]:
        """The documents most similar to `query` (cosine similarity at least `threshold`)."""
        return [
            Document(id=h.passage.document_id, content=h.passage.text, metadata=dict(h.passage.metadata))
            for h in self._matches(query, top_k, threshold)
        ]

    def query(
        self, question: str, top_k: int = 3, threshold: float = 0.5, include_sources: bool = False
    ) -> str | dict[str, Any]:
        """The answer from the matching documents; with `include_sources` {"answer", "sources":
        [{"id", "content"}]}. With none matching, the answer says nothing relevant was found."""
        hits = self._matches(question, top_k, threshold)
        if hits:
            service = self.today._rag  # the same generation today's query uses
            request = service.generation.chat_request(
                [Message(role="user", content=grounded_prompt(question, hits))], grounded(None), system=SYSTEM
            )
            answer = service.generation.generate(request).text.strip()
        else:
            answer = nothing_found(question).answer
        if not include_sources:
            return answer
        return {"answer": answer, "sources": [_source(h) for h in hits]}

    def count_documents(self) -> int:
        return self.today.count()

    def __enter__(self) -> MicroRAG:
        return self

    def __exit__(self, *exc: object) -> None:
        self.today.close()


def _source(hit: Hit) -> dict[str, Any]:
    text = hit.passage.text
    cut = text[:SHOWN_CHARACTERS] + ("..." if len(text) > SHOWN_CHARACTERS else "")
    return {"id": hit.passage.document_id, "content": cut}


def quick_rag(question: str, documents: list[str], **kwargs: Any) -> str:
    """One question over a few texts, in memory: the answer."""
    return today.quick_rag(question, documents, **kwargs)


class FastEmbedWrapper:
    """`encode(text or texts)` -> a numpy array of embeddings, with the configured embedder."""

    default_model: str | None = None

    def __init__(self, model_name: str | None = None) -> None:
        from chi_llm.entrypoints.wiring import wire

        container = wire(check_model=False)
        container.rag_overrides.override({"embedding_model": model_name or self.default_model})
        self.model_name = container.rag_config().embedding_model
        self._embedder = container.embedder()

    def encode(self, texts: str | list[str]) -> Any:
        import numpy as np

        if isinstance(texts, str):
            return np.asarray(self._embedder.embed_documents([texts])[0], dtype=np.float32)
        return np.asarray(self._embedder.embed_documents(list(texts)), dtype=np.float32)


class SentenceTransformerWrapper(FastEmbedWrapper):
    """2.x's sentence-transformers wrapper: today fastembed runs the same model."""

    default_model = "sentence-transformers/all-MiniLM-L6-v2"


NAMES = ("MicroRAG", "Document", "quick_rag", "FastEmbedWrapper", "SentenceTransformerWrapper")


def export(name: str) -> Any:
    """`from chi_llm.rag import name`, with the notice that this is 2.x's module."""
    old_spelling(
        f"chi_llm.rag.{name}",
        "use `from chi_llm import MicroRAG, quick_rag` (search returns scored hits, query(include_sources=True)"
        " a RagAnswer)",
    )
    return globals()[name]
