"""The model use cases behind `chi-llm models ...`, ModelManager and the TUI: typed results only."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Literal

from chi_llm.application.config import ConfigService
from chi_llm.application.models.advice import ModelAdvisor
from chi_llm.application.models.store import ModelStore, looks_like_path
from chi_llm.domain.errors import InvalidRequest, ModelNotFound
from chi_llm.domain.generation import DEFAULT_CONTEXT
from chi_llm.domain.hardware import Fit, fit_of
from chi_llm.domain.models.hub_refs import is_hub_reference, parse_reference
from chi_llm.domain.models.ids import model_id_problem
from chi_llm.domain.models.spec import InstalledModel, LocalSource, ModelSpec
from chi_llm.domain.models.views import (
    CatalogCheck,
    CurrentModel,
    DiskReport,
    Download,
    ModelCheck,
    ModelChoice,
    ModelInfo,
    Registration,
    StoredFile,
)
from chi_llm.domain.settings import Settings

Scope = Literal["project", "global"]


class ModelLibrary:
    """List, inspect, download, remove, register and choose models."""

    def __init__(
        self,
        models: ModelStore,
        advisor: ModelAdvisor,
        config: ConfigService,
        settings: Settings,
    ) -> None:
        self.models = models
        self.advisor = advisor
        self.config = config
        self.settings = settings

    @property
    def current_id(self) -> str:
        """The configured default model's id (or path)."""
        return str(self.settings["model"])

    def _info(self, spec: ModelSpec, downloaded: bool, fit: Fit) -> ModelInfo:
        path = spec.source.path if isinstance(spec.source, LocalSource) else str(self.models.files.path_for(spec))
        return ModelInfo(spec=spec, downloaded=downloaded, current=spec.id == self.current_id, fit=fit, path=path)

    # -- reading -----------------------------------------------------------------------------
    def list_models(
        self, *, downloaded: bool = False, tag: str | None = None, fits: bool = False, context: int | None = None
    ) -> list[ModelInfo]:
        """Catalog models; `context`: judge the memory fit at that context (see ModelAdvisor.rows)."""
        rows = self.advisor.rows(self.current_id, downloaded_only=downloaded, tag=tag, fits_only=fits, context=context)
        return [self._info(r.spec, r.downloaded, r.fit) for r in rows]

    def info(self, model_id: str) -> ModelInfo:
        """A catalog id or a hub reference (one not downloaded yet is described from its name)."""
        spec = self.models.spec(model_id, choose_file=False)  # raises ModelNotFound naming the known ids
        listed = next((r for r in self.list_models() if r.spec.id == spec.id), None)
        if listed is not None:
            return listed
        return self._info(spec, self.models.is_downloaded(spec), fit_of(spec, self.advisor.probe.hardware()))

    def installed(self) -> list[InstalledModel]:
        """Models found in other tools (read-only)."""
        return self.models.installed_elsewhere()

    def current(self) -> CurrentModel:
        """The configured default model, where it is and which source of configuration chose it."""
        model, source = self.current_id, self.settings.source("model")
        if self.models.is_known(model):
            info = self.info(model)
            return CurrentModel(id=model, config_source=source, downloaded=info.downloaded, info=info)
        on_disk = self.models.files.size_of(Path(model)) is not None if looks_like_path(model) else None
        if is_hub_reference(model):
            on_disk = False  # downloaded ones are known (above)
        return CurrentModel(id=model, config_source=source, downloaded=on_disk)

    def recommend(self, tag: str | None = None) -> ModelChoice:
        """The largest catalog model with `tag` (default `general`) that fits this machine, and why."""
        choice = self.advisor.recommend(tag)
        info = self._info(choice.spec, self.models.is_downloaded(choice.spec), choice.fit)
        return ModelChoice(
            info=info,
            reason=choice.reason,
            alternatives=tuple(s.id for s in choice.alternatives),
            hardware=choice.hardware,
        )

    def disk(self) -> DiskReport:
        """The space used by downloaded models and partial downloads, and the free space left."""
        files = self.models.files
        owned = files.owned_files()
        partial = files.partial_bytes()
        by_file = {s.filename: s.id for s in self.models.specs()}
        return DiskReport(
            models_dir=str(files.models_dir),
            free_bytes=files.free_bytes(),
            used_bytes=sum(m.size_bytes for m in owned) + partial,
            partial_bytes=partial,
            files=tuple(StoredFile(id=by_file.get(m.id, m.id), path=m.path, size_bytes=m.size_bytes) for m in owned),
        )

    def verify(self, model_id: str | None = None) -> list[ModelCheck]:
        """Hash downloaded models in full: `model_id`, or every model chi_llm downloaded.

        Raises ModelNotFound for an unknown id, or a catalog model that is not downloaded."""
        specs = [self.models.spec(model_id, choose_file=False)] if model_id else self.models.specs()
        checks = []
        for spec in specs:
            if isinstance(spec.source, LocalSource):
                if model_id is None:
                    continue  # registered files are the user's: nothing to compare them with
                raise InvalidRequest(
                    f"{spec.id} is a file registered with `models add` ({spec.source.path}): chi-llm "
                    "recorded no sha256 for it, so there is nothing to verify it against; "
                    "compare it with its publisher's checksum (sha256sum)",
                    backend="local",
                )
            if not self._present(spec):
                if model_id is None:
                    continue
                raise ModelNotFound(
                    f"{spec.id} is not downloaded, so there is nothing to verify; "
                    f"`chi-llm models download {spec.id}` fetches it (verified)",
                    backend="local",
                )
            problem = self.models.files.verify(spec)
            path = str(self.models.files.path_for(spec))
            checks.append(ModelCheck(id=spec.id, ok=problem is None, problem=problem, path=path))
        return checks

    def _present(self, spec: ModelSpec) -> bool:
        return self.models.files.size_of(self.models.files.path_for(spec)) is not None

    def validate(self, path: Path | None = None) -> CatalogCheck:
        """Every problem of a catalog file (default: the catalog in use), entry by entry."""
        return self.models.catalog.check(path)

    # -- changing ----------------------------------------------------------------------------
    def download(self, model_id: str) -> Path:
        """Fetch a model (catalog id or `hf:` reference), resuming a partial download, verify it
        and return its path; a model already there is verified, not fetched again."""
        return self.fetch(model_id).path

    def fetch(self, model_id: str) -> Download:
        """Download a catalog model or a hub reference (for a repository, the file chosen for this
        machine, with why) unless it is here already; verified, resumable."""
        choice = self.models.hub.resolve(model_id) if is_hub_reference(model_id) else None
        spec = choice.spec if choice else self.models.catalog.get(model_id)
        return Download(id=spec.id, path=self.models.ensure(spec), chosen=choice.reason if choice else None)

    def remove(self, model_id: str) -> int:
        """Delete a downloaded model; a registered file (`models add`) is only unregistered —
        the file itself is the user's and stays. Returns the bytes freed."""
        if self.models.is_known(model_id) and isinstance(self.models.spec(model_id).source, LocalSource):
            self.unregister(model_id)
            return 0
        return self.models.remove(model_id)

    def unregister(self, model_id: str) -> list[Path]:
        """Drop a `models add` registration from every configuration file that holds it."""

        def drop(values: dict[str, object]) -> None:
            listed = values.get("models")
            if isinstance(listed, list):
                values["models"] = [e for e in listed if not (isinstance(e, dict) and e.get("id") == model_id)]

        def lists(scope: Scope) -> bool:
            listed = self.config.stored(scope).get("models")
            return isinstance(listed, list) and any(isinstance(e, dict) and e.get("id") == model_id for e in listed)

        changed = [self.config.update(drop, scope) for scope in ("project", "global") if lists(scope)]
        if not changed:
            raise InvalidRequest(f"{model_id!r} is not registered in the project or global file")
        return changed

    def set_default(self, model_id: str, scope: Scope = "project") -> Path:
        """Make `model_id` the default `model` in the project's (or `global`) configuration file; its path."""
        if is_hub_reference(model_id):
            parse_reference(model_id)  # InvalidRequest naming what is wrong; fetched on first use
        elif not self.models.is_known(model_id) and self.models.files.size_of(Path(model_id)) is None:
            self.models.catalog.get(model_id)  # raises ModelNotFound naming the known ids
        return self.config.set_value("model", model_id, scope)

    def add(self, path: Path, model_id: str | None = None, scope: Scope = "global") -> Registration:
        """Register a local .gguf file under an id (global config by default); it is used in place."""
        file = Path(os.path.expanduser(path)).absolute()  # as the user named it (a link stays a link)
        new_id = model_id or file.stem.lower()
        problem = model_id_problem(new_id)
        if problem is not None:
            hint = "choose another with --id" if model_id else "the file name makes none: pass --id"
            raise InvalidRequest(f"{problem}; {hint}")
        size = self.models.files.size_of(file)
        if size is None or file.suffix != ".gguf":
            raise ModelNotFound(f"no .gguf file at {file}", backend="local")
        facts = self.advisor.inspector.inspect(file)  # refuses a non-GGUF file up front
        if self.models.is_known(new_id) and not isinstance(self.models.catalog.get(new_id).source, LocalSource):
            raise InvalidRequest(f"{new_id!r} is a catalog model; pass --id to choose another id")
        registration = Registration(
            id=new_id,
            path=str(file),
            name=facts.name or file.stem,
            size_bytes=size,
            context_length=facts.context_length,
            default_context=min(facts.context_length, DEFAULT_CONTEXT) if facts.context_length else None,
            kv_bytes_per_token=facts.kv_bytes_per_token,
            architecture=facts.architecture,
            chat_template=facts.has_chat_template,
            config_path="",
        )
        entry = registration.entry()

        def upsert(values: dict[str, object]) -> None:
            listed = values.get("models") or []
            kept = (
                [e for e in listed if isinstance(e, dict) and e.get("id") != new_id] if isinstance(listed, list) else []
            )
            values["models"] = [*kept, entry]

        written = self.config.update(upsert, scope)
        return replace(registration, config_path=str(written))
