"""Ports: the capabilities the application needs, as typing.Protocol classes.

Adapters subclass these explicitly; every method without a default is abstract, so an incomplete
adapter fails at construction. Each docstring states the contract the contract tests check.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from chi_llm.domain.capabilities import GeneratorExtras
from chi_llm.domain.cpu_load import CpuLoad
from chi_llm.domain.generation import Chunk, Completion, GenerationRequest, collect
from chi_llm.domain.hardware import Hardware
from chi_llm.domain.models.ports import (  # the model ports live in their own module; imported here as before
    ModelCatalog,
    ModelFiles,
    ModelHub,
    ModelInspector,
    ModelInventory,
    ModelSource,
    ProgressCallback,
)

if TYPE_CHECKING:  # result types of rarely used methods: not imported on the generation path
    from chi_llm.domain.diagnostics import EngineReport, Feature
    from chi_llm.domain.provider_views import UrlSearch
    from chi_llm.domain.rag import (
        FoundFiles,
        Hit,
        LoadedFile,
        Passage,
        RankingMode,
        SkippedFile,
        StoredDocument,
        StoreInfo,
    )

__all__ = [
    "ModelCatalog",
    "ModelFiles",
    "ModelHub",
    "ModelInspector",
    "ModelInventory",
    "ModelSource",
    "ProgressCallback",
]


class TextGenerator(GeneratorExtras, Protocol):
    """Generates text for a request, streamed (what an adapter implements) or whole, sync or async."""

    name: str

    @abstractmethod
    def stream(self, request: GenerationRequest) -> Iterator[Chunk]:
        """Yield text deltas, then exactly one final chunk with finish_reason and usage.

        Raises ModelNotFound for an unknown model, ContextLengthExceeded when the prompt does not
        fit (unless `options.truncate`), and other ChiLlmError kinds for backend failures, before
        the first chunk where possible. Closing the iterator early stops decoding promptly and
        frees the backend for the next call.
        """
        ...

    @abstractmethod
    def astream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        """`stream` without blocking the event loop; cancelling the consumer stops decoding."""
        ...

    def generate(self, request: GenerationRequest) -> Completion:
        """Return the whole completion: text, finish reason ("stop" or "length") and usage, with
        the errors of `stream`. The default collects `stream`; a backend overrides it only where a
        whole answer has a path of its own (and says why)."""
        return collect(self.stream(request), model=self.answering_model(request))

    async def agenerate(self, request: GenerationRequest) -> Completion:
        """`generate` without blocking the event loop: the default collects `astream`."""
        chunks = [chunk async for chunk in self.astream(request)]
        return collect(chunks, model=self.answering_model(request))

    def answering_model(self, request: GenerationRequest) -> str | None:
        """The model named on a whole completion: the request's, else the backend's default."""
        return request.model

    @abstractmethod
    def close(self) -> None:
        """Release connections and clients. Idempotent; the adapter may be used again afterwards
        (clients are re-created lazily). Loaded local models stay cached for reuse."""
        ...

    @abstractmethod
    async def aclose(self) -> None:
        """`close` for async clients of the running event loop (and the sync ones)."""
        ...

    def end_session(self, session: str) -> None:
        """A conversation (`GenerationRequest.session`) ended: drop whatever the backend keeps
        for it, such as a saved KV cache. Unknown ids are ignored."""
        return None

    def export_session(self, session: str) -> bytes | None:
        """What the backend keeps for a conversation (a KV cache), to resume it in another
        process; None when it keeps nothing."""
        return None

    def import_session(self, session: str, state: bytes) -> bool:
        """Take back what `export_session` gave; False when it does not fit this backend and
        model (the conversation then simply evaluates its history again)."""
        return False


class ServerFinder(Protocol):
    """Looks for a running local server of one kind on the usual hosts and ports."""

    @abstractmethod
    def find(
        self,
        kind: str,
        *,
        host: str | None = None,
        port: int | None = None,
        hosts: Sequence[str] | None = None,
        timeout: float = 1.5,
    ) -> UrlSearch:
        """Try the hint first, then the usual places; report every URL tried. Never raises for
        a server that is not there."""
        ...


@runtime_checkable
class ModelLister(Protocol):
    """A backend that can say which models it serves (HTTP providers)."""

    @abstractmethod
    def list_models(self) -> list[dict[str, Any]]:
        """Each served model as {id, ...details}. Raises BackendUnavailable when unreachable."""
        ...


class ConfigStore(Protocol):
    """Configuration files: finding, reading and atomically writing them."""

    @abstractmethod
    def project_file(self) -> Path | None:
        """The nearest `.chi_llm.json/.yaml/.yml`, from the working directory upwards."""
        ...

    @abstractmethod
    def project_target(self) -> Path:
        """Where a project-scope write goes: the nearest project file, else `./.chi_llm.json`."""
        ...

    @abstractmethod
    def global_file(self) -> Path:
        """The global configuration file's path (it may not exist)."""
        ...

    @abstractmethod
    def exists(self, path: Path) -> bool:
        """True when something exists at `path` (a link: its target), not only a regular file:
        `read` then names a folder, FIFO or device rather than it being skipped."""
        ...

    @abstractmethod
    def read(self, path: Path) -> Mapping[str, Any]:
        """Parse a file into a mapping. Raise ConfigError naming the file when it is malformed, is
        not a regular file, or exceeds config_limits (size, depth, number of values)."""
        ...

    @abstractmethod
    def render(self, path: Path, values: Mapping[str, Any]) -> str:
        """The text a new file at `path` would hold (JSON or YAML by its suffix); `read` of that
        text gives `values` back."""
        ...

    @abstractmethod
    def write(self, path: Path, values: Mapping[str, Any], *, private: bool = False) -> None:
        """Replace the file's content atomically (temp file + rename), in the format its suffix names.
        An existing file keeps its permissions; `private` (it holds a secret) makes it owner-only."""
        ...

    @abstractmethod
    def lock(self, path: Path) -> AbstractContextManager[None]:
        """An inter-process lock held around a read-modify-write of `path` (released if the
        process dies; leaves nothing in the user's folders)."""
        ...


class SystemProbe(Protocol):
    """Measures the machine: memory, CPU, GPUs and llama.cpp's offload support."""

    @abstractmethod
    def hardware(self) -> Hardware:
        """A fresh reading. Never raises for a missing tool (no nvidia-smi): that GPU is simply absent."""
        ...

    @abstractmethod
    def cpu_load(self, seconds: float) -> CpuLoad | None:
        """Samples the CPU for about `seconds`: how much of it other processes use. None where the
        system does not say (no /proc/stat and no load average). Never raises."""
        ...


class EngineInfo(Protocol):
    """The local inference engine's own account of its build (llama.cpp)."""

    @abstractmethod
    def report(self) -> EngineReport:
        """Never raises: an engine that cannot be imported is `installed=False` with the error."""
        ...


class FeatureProbe(Protocol):
    """Which optional features are installed (packages, programs), without importing them."""

    @abstractmethod
    def features(self) -> list[Feature]:
        """One entry per optional feature (the RAG extra, the terminal UI...). Never raises."""
        ...


class ProjectFiles(Protocol):
    """Plain text files in a project folder (what `chi-llm bootstrap` writes)."""

    @abstractmethod
    def read_text(self, path: Path) -> str | None:
        """The file's text; None when there is no file. ConfigError when it cannot be read."""
        ...

    @abstractmethod
    def write_text(self, path: Path, text: str) -> None:
        """Atomic (temp file and rename; the folder is created). ConfigError when it cannot be
        written, and then the file is as it was."""
        ...

    @abstractmethod
    def back_up(self, path: Path) -> Path:
        """Move `path` aside to `<path>.bak` (replacing an older backup); returns the backup."""
        ...


class Embedder(Protocol):
    """Turns text into vectors for retrieval. Documents and queries may be embedded differently
    (models trained with instructions or prefixes): use each method for its side."""

    model_id: str

    @property
    @abstractmethod
    def dimension(self) -> int:
        """The length of every vector this embedder returns."""
        ...

    @abstractmethod
    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order; the same text always gets the same vector."""
        ...

    @abstractmethod
    def embed_query(self, text: str) -> list[float]:
        """The vector to search documents with."""
        ...

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """How many of the model's tokens `text` is (not capped at the model's input length)."""
        ...

    @abstractmethod
    def token_starts(self, text: str) -> list[int]:
        """The character offset where each of the model's tokens in `text` starts, in order
        (len() of it is count_tokens(text)): chunking sizes spans with one tokenization."""
        ...


class VectorStore(Protocol):
    """One knowledge base: passages with their vectors, searched by vector, full text or both.
    The embedding model and dimension are recorded with it when it is created."""

    @abstractmethod
    def open(self, *, model_id: str, dimension: int) -> None:
        """Create the knowledge base if it does not exist; when it does, ConfigError unless it
        was made with this model and dimension (never mixes vectors of two models)."""
        ...

    @abstractmethod
    def add(self, passages: Sequence[Passage], vectors: Sequence[Sequence[float]], hashes: Mapping[str, str]) -> None:
        """Store passages (of one or more documents) with their vectors, in one write; `hashes`
        maps each document_id to its content hash (for incremental ingest)."""
        ...

    @abstractmethod
    def delete(self, *, document_id: str | Sequence[str] | None = None, source: str | None = None) -> int:
        """Remove every passage of a document (or of several, in one write) or of a source;
        the number removed."""
        ...

    @abstractmethod
    def search(
        self,
        *,
        vector: Sequence[float] | None,
        text: str | None,
        k: int,
        mode: RankingMode,
        where: Mapping[str, Any] | None = None,
    ) -> list[Hit]:
        """The k best passages, best first: by cosine similarity to `vector` (mode "vector",
        `score` is that similarity) or by BM25 on `text` (mode "text", `score` is BM25; passages
        sharing no term are not returned). When `vector` is given, every hit's `similarity` is
        its cosine similarity to it (in text mode too; hybrid search fuses the two rankings);
        otherwise None. `where`: equality on source, document_id, heading or a metadata key;
        only matching passages are ranked."""
        ...

    @abstractmethod
    def documents(self) -> list[StoredDocument]:
        """Every document stored, with its content hash and whether its chunks are all there
        once each (for incremental ingest and its repairs)."""
        ...

    @abstractmethod
    def writing(self) -> AbstractContextManager[None]:
        """Hold the knowledge base for writing while the block runs: another writer (in this
        process or another one) waits until it ends. Not re-entrant. Released if the process
        dies. Reading needs no lock."""
        ...

    @abstractmethod
    def count(self) -> int:
        """Passages stored (0 when the knowledge base does not exist)."""
        ...

    @abstractmethod
    def clear(self) -> None:
        """Remove the knowledge base (its model record too)."""
        ...

    @abstractmethod
    def info(self) -> StoreInfo:
        """Name, location, model, dimension and counts; works before `open`."""
        ...


class DocumentLoader(Protocol):
    """Finds files to ingest and reads their text (plain text, Markdown, reST, code, HTML, PDF)."""

    @abstractmethod
    def find(self, paths: Sequence[str], include: Sequence[str] = (), exclude: Sequence[str] = ()) -> FoundFiles:
        """Files named, matched by globs, or under folders (recursively), filtered by
        include/exclude globs; what could not be used, with why. A folder or glob leaves out
        hidden entries and what git ignores there (every .gitignore from the repository root
        down, info/exclude, the global excludes file), and counts the build output it passes
        over (`build_output`) instead of listing it; a file named on its own is always found."""
        ...

    @abstractmethod
    def load(self, path: Path) -> LoadedFile | SkippedFile:
        """The file's text, or why it was skipped (binary, unreadable, too large). Never raises."""
        ...
