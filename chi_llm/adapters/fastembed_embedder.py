"""Embeddings with fastembed (ONNX Runtime, CPU). The zero-config default, BAAI/bge-small-en-v1.5
(int8), comes from the package index (embedding_files.py); any other fastembed model is fetched
by fastembed from the hub by its name."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chi_llm.adapters.embedding_files import BGE_SMALL, EmbeddingModelFiles
from chi_llm.domain.errors import BackendUnavailable, ModelFetchFailed, ModelNotFound
from chi_llm.domain.ports import Embedder, ProgressCallback
from chi_llm.domain.rag import EmbeddingSpec

PINNED = {BGE_SMALL.id: BGE_SMALL}
# Models trained with query/passage prefixes (their model cards); others embed text as is.
PREFIXES = {
    "intfloat/multilingual-e5-small": ("query: ", "passage: "),
    "intfloat/multilingual-e5-base": ("query: ", "passage: "),
    "intfloat/multilingual-e5-large": ("query: ", "passage: "),
    "nomic-ai/nomic-embed-text-v1.5": ("search_query: ", "search_document: "),
    "nomic-ai/nomic-embed-text-v1": ("search_query: ", "search_document: "),
}
log = logging.getLogger("chi_llm")
_registered: set[str] = set()
_register_lock = threading.Lock()
# One text per ONNX run: the int8 model quantizes activations per batch, so a text's vector
# would depend on what it was batched (and padded) with; alone it is always the same. It is also
# faster here (31 passages/s against 20 at 32 per batch, 2 cores: no padding is computed).
BATCH = 1


def _ignore(_: Any) -> None:
    return None


class FastEmbedEmbedder(Embedder):
    """Loads the model on first use. `threads`: ONNX Runtime's CPU threads (None: its default)."""

    def __init__(
        self,
        model: str = BGE_SMALL.id,
        *,
        cache_dir: Path,
        threads: int | None = None,
        progress: ProgressCallback = _ignore,
        files: EmbeddingModelFiles | None = None,
    ) -> None:
        self.model_id = model
        self._cache_dir = cache_dir
        self._threads = threads
        self._progress = progress
        self._files = files or EmbeddingModelFiles(cache_dir / "embeddings")
        self._spec: EmbeddingSpec | None = PINNED.get(model)
        query, passage = PREFIXES.get(model, ("", ""))
        if self._spec is not None:
            query, passage = self._spec.query_prefix, self._spec.passage_prefix
        self._query_prefix, self._passage_prefix = query, passage
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        if self._spec is not None:
            return self._spec.dimension
        return int(self._load().model.model_description.dim)

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        model = self._load()
        return [v.tolist() for v in model.embed([self._passage_prefix + t for t in texts], batch_size=BATCH)]

    def embed_query(self, text: str) -> list[float]:
        vector = next(iter(self._load().embed([self._query_prefix + text])))
        return list(map(float, vector))

    def count_tokens(self, text: str) -> int:
        self._load()
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def token_starts(self, text: str) -> list[int]:
        self._load()
        return [start for start, _ in self._tokenizer.encode(text, add_special_tokens=False).offsets]

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = self._open()
                _stop_spinning(self._model)
                self._tokenizer = self._untruncated(self._model)
            return self._model

    def _open(self) -> Any:
        try:
            from fastembed import TextEmbedding
        except ImportError as exc:
            raise BackendUnavailable(
                f"fastembed is not installed ({exc}): pip install 'chi-llm[rag]'", backend="fastembed"
            ) from exc
        if self._spec is None:
            try:
                return TextEmbedding(self.model_id, cache_dir=str(self._cache_dir / "fastembed"), threads=self._threads)
            except ValueError as exc:
                raise ModelNotFound(f"fastembed does not know {self.model_id!r} ({exc})", backend="fastembed") from exc
            except (OSError, RuntimeError) as exc:
                raise ModelFetchFailed(
                    f"could not fetch {self.model_id} for fastembed ({exc}); connect to the network once, or use the "
                    f"default {BGE_SMALL.id}",
                    backend="fastembed",
                ) from exc
        folder = self._files.ensure(self._spec, self._progress)
        name = _register(self._spec)
        return TextEmbedding(name, specific_model_path=str(folder), threads=self._threads)

    @staticmethod
    def _untruncated(model: Any) -> Any:
        """A copy of the model's tokenizer that counts past its input length."""
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_str(model.model.tokenizer.to_str())
        tokenizer.no_truncation()
        tokenizer.no_padding()
        return tokenizer


def _stop_spinning(model: Any) -> None:
    """Rebuild the ONNX session with its thread pool told not to spin after each run: spinning
    threads steal the CPU from whatever runs next (LanceDB's search right after a query is
    embedded: 45 ms instead of 36 ms at 10k passages on 2 cores), and embedding is no faster
    with them. fastembed does not expose the option, hence this; if its structure changes, the
    session is left as fastembed made it."""
    try:
        import onnxruntime as ort

        session = model.model.model
        options = session._sess_options
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        model.model.model = ort.InferenceSession(
            session._model_path, sess_options=options, providers=session.get_providers()
        )
    except (AttributeError, ImportError, RuntimeError) as exc:  # pragma: no cover - another fastembed layout
        log.debug("keeping fastembed's ONNX session as it is: %s", exc)


def _register(spec: EmbeddingSpec) -> str:
    """Make fastembed know the pinned model under a name of ours (once per process)."""
    from fastembed import TextEmbedding
    from fastembed.common.model_description import ModelSource, PoolingType

    name = f"chi-llm/{spec.id}"
    with _register_lock:
        if name not in _registered:
            TextEmbedding.add_custom_model(
                model=name,
                pooling=PoolingType.CLS if spec.pooling == "cls" else PoolingType.MEAN,
                normalization=spec.normalize,
                sources=ModelSource(hf=spec.id),
                dim=spec.dimension,
                model_file=spec.model_file,
                license=spec.license,
            )
            _registered.add(name)
    return name
