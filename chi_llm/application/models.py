"""Finding a model's file: a path as given, or a catalog id fetched once and verified."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from chi_llm.domain.errors import ModelFetchFailed, ModelNotFound
from chi_llm.domain.models import FetchProgress, ModelSpec
from chi_llm.domain.ports import ModelCatalog, ModelFiles, ModelSource, ProgressCallback


def _ignore(_: FetchProgress) -> None:
    return None


def looks_like_path(model: str) -> bool:
    """A model string is a file path when it ends in .gguf or contains a path separator."""
    return model.endswith(".gguf") or "/" in model or "\\" in model


class ModelService:
    """Resolves model names to local files, fetching catalog models on first use."""

    def __init__(
        self,
        catalog: ModelCatalog,
        files: ModelFiles,
        sources: Mapping[str, ModelSource],
        progress: ProgressCallback = _ignore,
    ) -> None:
        self._catalog = catalog
        self._files = files
        self._sources = sources
        self._progress = progress

    @property
    def default_id(self) -> str:
        return self._catalog.default_id

    def is_known(self, model_id: str) -> bool:
        return any(spec.id == model_id for spec in self._catalog.all())

    def locate(self, model: str) -> Path:
        """The local file for `model` (a catalog id or a .gguf path), fetching it if needed.

        Raises ModelNotFound for an unknown id or a missing path, ModelFetchFailed when a fetch
        fails. After the first successful fetch no call touches the network.
        """
        if looks_like_path(model):
            path = Path(model).expanduser()
            if not path.is_file():
                raise ModelNotFound(f"no model file at {path}; check the path", backend="local")
            return path
        return self.ensure(self._catalog.get(model))

    def ensure(self, spec: ModelSpec) -> Path:
        """Make sure `spec`'s verified file is in the store and return its path."""
        if self._files.is_ready(spec):
            return self._files.path_for(spec)
        source = self._sources.get(spec.source.scheme)
        if source is None:
            raise ModelFetchFailed(f"no adapter can fetch {spec.source}", backend=spec.source.scheme)
        with self._files.lock(spec):
            if self._files.is_ready(spec):  # another process fetched it while we waited
                return self._files.path_for(spec)
            partial = self._files.partial_path(spec)
            try:
                source.fetch(spec, partial, self._progress)
                size = partial.stat().st_size
                self._progress(FetchProgress(model_id=spec.id, phase="verify", done=0, total=size))
                placed = self._files.place(spec, partial)
                self._progress(FetchProgress(model_id=spec.id, phase="done", done=size, total=size))
                return placed
            finally:
                partial.unlink(missing_ok=True)
