"""Finding, fetching and removing model files: catalog ids, inventory ids and plain paths."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from chi_llm.application.models.hub import HubModels
from chi_llm.domain.errors import (
    ChiLlmError,
    InsufficientResources,
    InvalidRequest,
    ModelCorrupt,
    ModelFetchFailed,
    ModelNotFound,
)
from chi_llm.domain.hardware import amount
from chi_llm.domain.models.hub_refs import is_hub_reference, parse_reference
from chi_llm.domain.models.spec import FetchProgress, InstalledModel, LocalSource, ModelSpec, Sampling
from chi_llm.domain.ports import (
    ModelCatalog,
    ModelFiles,
    ModelHub,
    ModelInventory,
    ModelSource,
    ProgressCallback,
    SystemProbe,
)

log = logging.getLogger("chi_llm")
DISK_MARGIN = 1.05  # extraction and metadata need a little more than the file itself


def _ignore(_: FetchProgress) -> None:
    return None


INVENTORY_ORIGINS = ("ollama", "lmstudio", "hf-cache", "gguf")


def is_inventory_id(model: str) -> bool:
    """`ollama:NAME:TAG`, `lmstudio:PUBLISHER/REPO/FILE`, `hf-cache:REPO/FILE`, `gguf:PATH` name
    models found in other tools (see ModelInventory)."""
    return model.split(":", 1)[0] in INVENTORY_ORIGINS and ":" in model


def looks_like_path(model: str) -> bool:
    """A model string is a file path when it ends in .gguf or contains a path separator (and is
    neither another tool's id nor a hub reference `hf:...`)."""
    if is_inventory_id(model) or is_hub_reference(model):
        return False
    return model.endswith(".gguf") or "/" in model or "\\" in model


class ModelStore:
    """Resolves model names to local files, fetching catalog models on first use."""

    def __init__(
        self,
        catalog: ModelCatalog,
        files: ModelFiles,
        sources: Mapping[str, ModelSource],
        progress: ProgressCallback = _ignore,
        inventory: ModelInventory | None = None,
        hub: ModelHub | None = None,
        probe: SystemProbe | None = None,
    ) -> None:
        self.catalog = catalog
        self.files = files
        self.hub = HubModels(files, hub, probe)
        self._sources = sources
        self._progress = progress
        self._inventory = inventory
        self._found: dict[str, Path] = {}  # other tools' model ids located so far

    def is_known(self, model_id: str) -> bool:
        """A catalog id, or a hub reference something was downloaded under."""
        if is_hub_reference(model_id):
            return self.hub.find(model_id) is not None
        return any(spec.id == model_id for spec in self.catalog.all())

    def specs(self) -> list[ModelSpec]:
        """The catalog's models, then the files downloaded by hub reference."""
        return [*self.catalog.all(), *self.hub.downloaded()]

    def spec(self, model: str, *, choose_file: bool = True) -> ModelSpec:
        """A catalog id's or hub reference's spec (see HubModels.resolve); ModelNotFound otherwise."""
        if is_hub_reference(model):
            return self.hub.resolve(model, choose_file=choose_file).spec
        return self.catalog.get(model)

    def sampling(self, model: str) -> Sampling | None:
        """The recommended sampling of a catalog model (None for paths, other tools' files and
        catalog entries without one)."""
        if looks_like_path(model) or is_inventory_id(model) or is_hub_reference(model):
            return None
        try:
            return self.catalog.get(model).sampling
        except ModelNotFound:
            return None

    def installed_elsewhere(self) -> list[InstalledModel]:
        """GGUF files other tools hold (Hugging Face cache, LM Studio, Ollama, gguf_paths)."""
        return self._inventory.scan() if self._inventory else []

    def is_downloaded(self, spec: ModelSpec) -> bool:
        if isinstance(spec.source, LocalSource):
            return self.files.size_of(Path(spec.source.path)) is not None
        return self.files.is_ready(spec)

    def locate(self, model: str) -> Path:
        """The local file for `model`: a catalog id (fetched on first use), an inventory id such as
        `ollama:llama3.2:1b`, or a path to a .gguf file.

        Raises ModelNotFound for an unknown name or a missing path, ModelFetchFailed when a fetch
        fails. After the first successful fetch no call touches the network.
        """
        if is_hub_reference(model):
            choice = self.hub.resolve(model)
            if choice.reason:  # a repository named: say which file is fetched for it, and why
                log.warning("%s: %s", model, choice.reason)
            return self.ensure(choice.spec)
        if self.is_known(model):
            return self.ensure(self.catalog.get(model))
        if is_inventory_id(model):
            known = self._found.get(model)
            if known is not None and self.files.size_of(known) is not None:
                return known  # found before and still there: no need to walk every folder again
            for found in self.installed_elsewhere():
                if found.id == model:
                    self._found[model] = Path(found.path)
                    return Path(found.path)
            raise ModelNotFound(
                f"no installed model {model!r}; `chi-llm models list` shows what is here", backend="inventory"
            )
        if looks_like_path(model):
            path = Path(os.path.expanduser(model))
            if self.files.size_of(path) is None:
                raise ModelNotFound(f"no model file at {path}; check the path", backend="local")
            return path
        return self.ensure(self.catalog.get(model))  # raises ModelNotFound listing the known ids

    def ensure(self, spec: ModelSpec) -> Path:
        """Make sure `spec`'s verified file is present and return its path (downloading if needed)."""
        if isinstance(spec.source, LocalSource):
            path = Path(spec.source.path)
            if self.files.size_of(path) is None:
                raise ModelNotFound(f"{spec.id}: the registered file {path} is gone", backend="local")
            return path
        if self.files.is_ready(spec):
            return self.files.path_for(spec)
        stored = self.files.path_for(spec)
        damaged = self.files.size_of(stored) is not None  # there, but it failed its check
        try:
            return self._fetch(spec)
        except ChiLlmError as exc:
            if damaged and self.files.size_of(stored) is not None:
                exc.message = (
                    f"{spec.id}: the stored file {stored} failed its integrity check and was not loaded, "
                    f"and fetching it again failed: {exc.message}. Once the source can be reached, "
                    f"`chi-llm models download {spec.id}` replaces it"
                )
            raise

    def _fetch(self, spec: ModelSpec) -> Path:
        source = self._sources.get(spec.source.scheme)
        if source is None:
            raise ModelFetchFailed(f"no adapter can fetch {spec.source}", backend=spec.source.scheme)
        with self.files.lock(spec):
            if self.files.is_ready(spec):  # another process fetched it while we waited
                return self.files.path_for(spec)
            self.files.sweep()  # what killed fetches left would otherwise stay forever
            remote = source.describe(spec)
            recorded = self.files.recorded(spec)
            pinned = spec.sha256 or (recorded.sha256 if recorded else None)
            first = recorded.sha256 if recorded and spec.sha256 in (None, recorded.sha256) else None
            if first and remote.sha256 and remote.sha256 != first:
                raise ModelCorrupt(
                    f"{spec.id}: {spec.source} now has sha256 {remote.sha256}, but {first} was recorded "
                    f"when it was first downloaded; nothing was fetched. If its publisher replaced it on purpose, "
                    f"`chi-llm models remove {spec.id}` forgets the recorded one; then download it again",
                    backend="verify",
                )
            expected = dataclasses.replace(
                spec, size_bytes=spec.size_bytes or remote.size_bytes, sha256=pinned or remote.sha256
            )
            self._check_disk(expected, source)
            partial = self.files.partial_path(spec)
            try:
                source.fetch(expected, partial, self._progress, self.files.resume_dir(spec))
                size = self.files.size_of(partial) or 0
                self._progress(FetchProgress(model_id=spec.id, phase="verify", done=0, total=size))
                placed = self.files.place(expected, partial)
                self._progress(FetchProgress(model_id=spec.id, phase="done", done=size, total=size))
                return placed
            finally:
                self.files.discard(partial)

    def _check_disk(self, spec: ModelSpec, source: ModelSource) -> None:
        size = spec.planning_size
        if size is None:
            return
        needed = int(source.disk_needed(spec, size, self.files.resume_dir(spec)) * DISK_MARGIN)
        free = self.files.free_bytes()
        if needed > free:
            raise InsufficientResources(
                f"fetching {spec.id} needs about {amount(needed)} of free disk but only {amount(free)} is free "
                "where models are stored; free some space or set cache_dir (CHI_LLM_HOME) elsewhere",
                backend="disk",
            )

    def remove(self, model: str) -> int:
        """Delete a downloaded catalog model's files and return the bytes freed. Files chi_llm does
        not own (registered paths, other tools' models) are refused."""
        if is_hub_reference(model):
            if parse_reference(model).path is None:
                raise InvalidRequest(
                    f"{model} names a repository: name the file to remove, {model}/FILE.gguf "
                    "(`chi-llm models list --downloaded` shows them)"
                )
            found = self.hub.find(model)
            if found is None:
                raise InvalidRequest(f"nothing is downloaded as {model}; `chi-llm models list` shows what is")
            with self.files.lock(found):
                return self.files.remove(found)
        if not self.is_known(model):
            owner = "another tool" if ":" in model else "you"
            raise InvalidRequest(
                f"{model!r} is not a model chi_llm downloaded; it belongs to {owner} and is left alone"
            )
        spec = self.catalog.get(model)
        if isinstance(spec.source, LocalSource):
            raise InvalidRequest(f"{model} is a registered file ({spec.source.path}); chi_llm does not delete it")
        with self.files.lock(spec):
            return self.files.remove(spec)
