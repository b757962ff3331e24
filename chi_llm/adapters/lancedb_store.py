"""A knowledge base as one LanceDB table: local folder or object storage (any LanceDB URI).

LanceDB does the searching: cosine vector search (an IVF index once the table is large) and its
full-text index (BM25; each hit's cosine similarity to the query vector is computed from its
stored vector). Hybrid search fuses the two in the application. The embedding model and
dimension are kept in the table's schema metadata."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chi_llm.adapters.file_lock import exclusive_lock
from chi_llm.adapters.stored_documents import stored_documents
from chi_llm.domain.errors import BackendUnavailable, ConfigError, InvalidRequest
from chi_llm.domain.ports import VectorStore
from chi_llm.domain.rag import Hit, Passage, RankingMode, StoredDocument, StoreInfo

MODEL_KEY, DIMENSION_KEY = b"chi_llm.embedding_model", b"chi_llm.dimension"
VECTOR_INDEX_MIN_ROWS = 20_000  # below this an exact scan is fast enough (benchmarks/rag_ingest.py)
UNINDEXED_LIMIT = 2_000  # rows outside the indexes before they are folded in
REFINE = 5  # an indexed (PQ-compressed) search re-ranks 5x k candidates by their exact distance
COLUMNS = ("id", "document_id", "source", "chunk", "start", "end", "heading", "text", "content_hash", "metadata")
TOP_LEVEL = ("source", "document_id", "heading")


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def where_clause(where: Mapping[str, Any] | None) -> str | None:
    """SQL for equality filters: top-level fields, else keys of the metadata JSON. A metadata
    value is compared as the JSON LanceDB renders it, so a value of another type than the one
    stored is no match (its typed json_get_* functions fail on a value of another type)."""
    if not where:
        return None
    parts = []
    for key, value in where.items():
        if key in TOP_LEVEL:
            parts.append(f"{key} = {_quote(str(value))}")
            continue
        shown = ", ".join(_quote(r) for r in _renderings(key, value))
        parts.append(f"json_extract(metadata, {_quote(_json_path(key))}) IN ({shown})")
    return " AND ".join(parts)


def _json_path(key: str) -> str:
    return f"$.{key}" if key.isascii() and key.isidentifier() else "$[" + json.dumps(key, ensure_ascii=False) + "]"


def _renderings(key: str, value: Any) -> list[str]:
    """How LanceDB renders `value` as JSON (its exponent is not zero-padded: 1e-7, Python's 1e-07)."""
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, int):
        return [str(value)]
    if isinstance(value, float) and math.isfinite(value):
        text = repr(value)
        return list(dict.fromkeys([text, re.sub(r"e([+-])0+(\d)", r"e\1\2", text)]))
    if isinstance(value, str):
        return [json.dumps(value, ensure_ascii=False)]
    raise InvalidRequest(f"filter values are text, whole or finite numbers, or true/false; {key!r} is {value!r}")


class LanceDbStore(VectorStore):
    """`lock_folder`: where the write lock of a knowledge base on object storage is kept (a
    local one keeps it in its own folder); a lock serializes the writers of one machine."""

    def __init__(
        self,
        uri: str,
        name: str = "default",
        storage_options: Mapping[str, str] | None = None,
        lock_folder: Path | None = None,
    ) -> None:
        self.uri = uri
        self.name = name
        self._options = dict(storage_options or {})
        self._lock_folder = lock_folder
        self._db: Any = None
        self._table: Any = None
        self._fts_ready = False
        self._holding = self._upkeep_due = False

    # -- connection --------------------------------------------------------------------------
    def _connect(self) -> Any:
        if self._db is None:
            # Lance's own log (Rust) writes deprecation notes about its internals to stderr,
            # which would show in the CLI; errors still show. The user's LANCEDB_LOG wins.
            os.environ.setdefault("LANCEDB_LOG", "error")
            try:
                import lancedb
            except ImportError as exc:
                raise BackendUnavailable(
                    f"lancedb is not installed ({exc}): pip install 'chi-llm[rag]'", backend="lancedb"
                ) from exc
            try:
                self._db = lancedb.connect(self.uri, storage_options=self._options or None)
            except (OSError, ValueError, RuntimeError) as exc:
                raise BackendUnavailable(
                    f"cannot open the knowledge base at {self.uri}: {exc}", backend="lancedb"
                ) from exc
        return self._db

    def _existing(self) -> Any:
        if self._table is None:
            db = self._connect()
            try:
                self._table = db.open_table(self.name)
            except (FileNotFoundError, ValueError):
                return None
        return self._table

    def _recorded(self, table: Any) -> tuple[str | None, int | None]:
        meta = table.schema.metadata or {}
        dimension = meta.get(DIMENSION_KEY)
        model = meta.get(MODEL_KEY)
        return (model.decode() if model else None, int(dimension) if dimension else None)

    def open(self, *, model_id: str, dimension: int) -> None:
        table = self._existing()
        if table is None:
            schema = _schema(dimension, {MODEL_KEY: model_id.encode(), DIMENSION_KEY: str(dimension).encode()})
            self._table = self._connect().create_table(self.name, schema=schema)
            return
        recorded_model, recorded_dimension = self._recorded(table)
        if (recorded_model, recorded_dimension) != (model_id, dimension):
            raise ConfigError(
                f"knowledge base {self.name!r} at {self.uri} was built with {recorded_model} "
                f"({recorded_dimension} dimensions), not {model_id} ({dimension}): use that embedding model, "
                "or another name or location for this one (or `chi-llm rag clear` and add the files again)",
                key="rag.embedding_model",
            )

    def _table_or_fail(self) -> Any:
        table = self._existing()
        if table is None:
            raise InvalidRequest(f"knowledge base {self.name!r} at {self.uri} is empty: add documents first")
        return table

    # -- writing -----------------------------------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator[None]:
        """The write lock; the indexes are kept up once, when the writing is done, rather than
        after each of its writes (a large file is written in many batches)."""
        with exclusive_lock(self.lock_path()):
            self._holding, self._upkeep_due = True, False
            try:
                yield
            finally:
                self._holding = False
            if self._upkeep_due and self._table is not None:
                self._maintain(self._table)

    def lock_path(self) -> Path:
        local = self.uri.removeprefix("file://") if "://" not in self.uri.removeprefix("file://") else None
        if local is not None:
            return Path(local) / f".{self.name}.lock"
        folder = self._lock_folder or Path(tempfile.gettempdir()) / "chi_llm-locks"
        key = hashlib.sha256(f"{self.uri}\0{self.name}".encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return folder / f"rag-{key}.lock"

    def add(self, passages: Sequence[Passage], vectors: Sequence[Sequence[float]], hashes: Mapping[str, str]) -> None:
        if not passages:
            return
        import pyarrow as pa

        table = self._table_or_fail()
        _, dimension = self._recorded(table)
        rows = {
            "id": [p.id for p in passages],
            "document_id": [p.document_id for p in passages],
            "source": [p.source for p in passages],
            "chunk": pa.array([p.index for p in passages], pa.int32()),
            "start": [p.start for p in passages],
            "end": [p.end for p in passages],
            "heading": [p.heading for p in passages],
            "text": [p.text for p in passages],
            "content_hash": [hashes[p.document_id] for p in passages],
            "metadata": pa.array([json.dumps(dict(p.metadata)) for p in passages], pa.json_(pa.utf8())),
            "vector": pa.array([list(map(float, v)) for v in vectors], pa.list_(pa.float32(), dimension or 0)),
        }
        # Written with the JSON type (not the stored schema's binary form): LanceDB encodes it
        # as JSONB, which its json_get_* filter functions read.
        table.add(pa.table(rows, schema=_schema(dimension or 0)))
        if self._holding:
            self._upkeep_due = True
        else:
            self._maintain(table)

    def delete(self, *, document_id: str | Sequence[str] | None = None, source: str | None = None) -> int:
        table = self._existing()
        if isinstance(document_id, str) or document_id is None:
            clause = where_clause({"document_id": document_id} if document_id is not None else {"source": source or ""})
        elif document_id:
            clause = f"document_id IN ({', '.join(_quote(d) for d in document_id)})"
        else:
            return 0
        if table is None or clause is None:
            return 0
        before = table.count_rows()
        table.delete(clause)
        return int(before - table.count_rows())

    def clear(self) -> None:
        db = self._connect()
        if self.name in self._names(db):
            db.drop_table(self.name)
        self._table = None
        self._fts_ready = False

    # -- reading -----------------------------------------------------------------------------
    def search(
        self,
        *,
        vector: Sequence[float] | None,
        text: str | None,
        k: int,
        mode: RankingMode,
        where: Mapping[str, Any] | None = None,
    ) -> list[Hit]:
        table = self._existing()
        if table is None or k <= 0:
            return []
        clause = where_clause(where)
        if mode == "vector":
            query = (
                table.search(list(vector or ()), vector_column_name="vector")
                .distance_type("cosine")
                .refine_factor(REFINE)
            )
        else:
            self._ensure_fts(table)
            query = table.search(text or "", query_type="fts")
        if clause:
            query = query.where(clause, prefilter=True)
        extra = ["_distance"] if mode == "vector" else ["_score", *(["vector"] if vector is not None else [])]
        rows = query.select([*COLUMNS, *extra]).limit(k).to_list()
        if mode == "vector":
            return [Hit(passage=_passage(row), score=(s := _cosine(row)), similarity=s) for row in rows]
        similarities = _similarities(vector, [row["vector"] for row in rows]) if vector is not None else None
        return [
            Hit(
                passage=_passage(row),
                score=round(float(row.get("_score", 0.0)), 6),  # BM25
                similarity=similarities[n] if similarities is not None else None,
            )
            for n, row in enumerate(rows)
        ]

    def documents(self) -> list[StoredDocument]:
        table = self._existing()
        if table is None:
            return []
        columns = ["document_id", "source", "content_hash", "chunk", "end"]
        return stored_documents(table.search().select(columns).limit(None).to_arrow().to_pylist())

    def count(self) -> int:
        table = self._existing()
        return 0 if table is None else int(table.count_rows())

    def info(self) -> StoreInfo:
        table = self._existing()
        model, dimension = self._recorded(table) if table is not None else (None, None)
        return StoreInfo(
            name=self.name,
            uri=self.uri,
            embedding_model=model,
            dimension=dimension,
            chunks=self.count(),
            documents=len(self.documents()),
            vector_index=table is not None and self._has_vector_index(table),
        )

    # -- indexes -----------------------------------------------------------------------------
    def _ensure_fts(self, table: Any) -> None:
        """LanceDB's full-text index, made on first use. Rows added later are searched too (by
        a scan until `_maintain` folds them in); deleted rows are never returned."""
        if self._fts_ready:
            return
        if not any(getattr(i, "index_type", "") == "FTS" for i in table.list_indices()):
            from lancedb.index import FTS

            table.create_index("text", config=FTS())
        self._fts_ready = True

    def _maintain(self, table: Any) -> None:
        """Keep the indexes worth their keep: a vector index from VECTOR_INDEX_MIN_ROWS rows,
        retrained once the table has doubled since it was built; otherwise new rows are folded
        into the indexes (and small writes compacted) once they are a tenth of the table."""
        rows = int(table.count_rows())
        listed = table.list_indices()
        vector = next((i for i in listed if "vector" in (getattr(i, "columns", None) or [])), None)
        if rows >= VECTOR_INDEX_MIN_ROWS and (vector is None or int(vector.num_indexed_rows) < rows // 2):
            from lancedb.index import IvfPq

            table.create_index("vector", config=IvfPq(distance_type="cosine"), replace=True)
            listed = table.list_indices()
        unindexed = max((int(getattr(i, "num_unindexed_rows", 0) or 0) for i in listed), default=0)
        if unindexed > max(UNINDEXED_LIMIT, rows // 10):
            table.optimize()

    @staticmethod
    def _has_vector_index(table: Any) -> bool:
        return any("vector" in (getattr(i, "columns", None) or []) for i in table.list_indices())

    @staticmethod
    def _names(db: Any) -> list[str]:
        listed = db.list_tables()
        names = getattr(listed, "tables", listed)
        return [str(n) for n in names]


def _schema(dimension: int, metadata: Mapping[bytes, bytes] | None = None) -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("id", pa.string()),
            pa.field("document_id", pa.string()),
            pa.field("source", pa.string()),
            pa.field("chunk", pa.int32()),
            pa.field("start", pa.int64()),
            pa.field("end", pa.int64()),
            pa.field("heading", pa.string()),
            pa.field("text", pa.string()),
            pa.field("content_hash", pa.string()),
            pa.field("metadata", pa.json_(pa.utf8())),
            pa.field("vector", pa.list_(pa.float32(), dimension)),
        ],
        metadata=metadata,
    )


def _passage(row: Mapping[str, Any]) -> Passage:
    metadata = row.get("metadata")
    return Passage(
        id=row["id"],
        document_id=row["document_id"],
        source=row["source"],
        index=int(row["chunk"]),
        start=int(row["start"]),
        end=int(row["end"]),
        text=row["text"],
        heading=row.get("heading"),
        metadata=json.loads(metadata) if isinstance(metadata, (str, bytes)) and metadata else {},
    )


def _cosine(row: Mapping[str, Any]) -> float:
    return round(1.0 - float(row.get("_distance", 1.0)), 6)


def _similarities(query: Sequence[float], vectors: Sequence[Sequence[float]]) -> list[float]:
    """Cosine similarity of each stored vector to the query's (a text search's hits)."""
    import numpy as np

    if not vectors:
        return []
    matrix = np.asarray(vectors, dtype=np.float32)
    own = np.asarray(query, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1) * (np.linalg.norm(own) or 1.0)
    cosines = matrix @ own / np.where(norms > 0, norms, 1.0)
    return [round(float(c), 6) for c in cosines]
