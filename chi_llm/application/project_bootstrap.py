"""`chi-llm bootstrap` and `chi_llm.bootstrap()`: a project's configuration file, `.env.sample`
and `llm-requirements.txt` — planned (the TUI previews the plan), then written without ever
overwriting a file unless asked, validated by loading the configuration back."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from chi_llm.application.config import ConfigService
from chi_llm.application.config_env import PROVIDER_ENV_PREFIX
from chi_llm.application.models.store import ModelStore, is_inventory_id, looks_like_path
from chi_llm.application.project_contents import env_sample, requirements
from chi_llm.domain.errors import InvalidRequest, ModelNotFound
from chi_llm.domain.ports import ConfigStore, ProjectFiles
from chi_llm.domain.project import (
    EXTRAS,
    PROJECT_PROVIDERS,
    InstalledPackage,
    PlannedFile,
    ProjectPlan,
    ProjectRequest,
)
from chi_llm.domain.providers import Schemas
from chi_llm.domain.settings import PROJECT_FILE_NAMES

SOURCE = "chi-llm bootstrap"


class ProjectBootstrap:
    def __init__(
        self,
        *,
        config: ConfigService,
        store_for: Callable[[Path], ConfigStore],
        files: ProjectFiles,
        schemas: Schemas,
        models: ModelStore,
        package: InstalledPackage,
    ) -> None:
        self._config = config
        self._store_for = store_for
        self._files = files
        self._schemas = schemas
        self._models = models
        self._default_model = models.catalog.default_id
        self._package = package

    def plan(self, request: ProjectRequest) -> ProjectPlan:
        """What `write` would do, with every file's full content; nothing is written."""
        values = self._values(request)
        folder = request.folder
        config_path = folder / (".chi_llm.yaml" if request.yaml else ".chi_llm.json")
        rendered = self._store_for(folder).render(config_path, values)
        others = [folder / n for n in PROJECT_FILE_NAMES if n != config_path.name and self._files.read_text(folder / n)]
        moving = others if request.force else []
        files = [
            self._planned(config_path, rendered, request.force, blocked_by=others),
            *(self._moved(other) for other in moving),
            self._planned(folder / ".env.sample", env_sample(request, self._schemas), request.force),
            self._planned(folder / "llm-requirements.txt", requirements(self._package, request.extras), request.force),
        ]
        notes = list(self._notes(request, values))
        if moving:
            notes.append(
                f"{', '.join(p.name for p in moving)} would be read instead of {config_path.name}: moved aside"
            )
        return ProjectPlan(
            folder=folder,
            provider=request.provider,
            model=request.model or (self._default_model if request.provider == "local" else None),
            files=tuple(files),
            force=request.force,
            notes=tuple(notes),
        )

    def write(self, request: ProjectRequest, *, expect: str | None = None) -> ProjectPlan:
        """Plan, then carry the plan out. `expect`: the digest of the plan a preview showed; the
        write is refused (InvalidRequest) unless this request gives that same plan."""
        plan = self.plan(request)
        if expect is not None and plan.digest != expect:
            raise InvalidRequest(
                f"the files in {request.folder} (or the answers) changed since the preview, so writing now "
                "would not do what it showed: preview again"
            )
        return self.apply(plan)

    def apply(self, plan: ProjectPlan) -> ProjectPlan:
        """Carry out exactly `plan`: move aside, back up and write what it says, nothing else;
        refused when a file changed since it was planned. Then the configuration file is read
        back and checked."""
        for planned in plan.files:
            if self._files.read_text(planned.path) != planned.existing:
                raise InvalidRequest(f"{planned.path} changed since the preview: preview again")
        for planned in plan.files:
            if planned.action == "move":
                self._files.back_up(planned.path)
        for planned in plan.files:
            if planned.action == "overwrite":
                self._files.back_up(planned.path)
            if planned.action in ("create", "overwrite"):
                self._files.write_text(planned.path, planned.content)
        config = plan.files[0]
        if config.action != "skip":
            written = self._store_for(plan.folder).read(config.path)
            self._config.validate(written, str(config.path), check_model=plan.provider == "local")
        return replace(plan, written=True)

    # -- contents ----------------------------------------------------------------------------
    def _values(self, request: ProjectRequest) -> dict[str, Any]:
        if request.provider not in PROJECT_PROVIDERS:
            raise InvalidRequest(f"--provider must be one of {', '.join(PROJECT_PROVIDERS)}, got {request.provider!r}")
        if request.extras not in EXTRAS:
            raise InvalidRequest(f"--extras must be one of {', '.join(EXTRAS)}, got {request.extras!r}")
        if request.provider == "local":
            if request.base_url:
                raise InvalidRequest("base_url is for a server provider; the local model runs in this process")
            values: dict[str, Any] = {"model": request.model or self._default_model}
        else:
            schema = self._schemas[request.provider]
            model_field = next(f for f in schema.fields if f.name == "model")
            if model_field.required and not request.model:
                raise InvalidRequest(f"{request.provider} needs a model: pass --model-id NAME (the name it serves)")
            provider = {"type": request.provider, **schema.defaults()}
            provider = {k: v for k, v in provider.items() if k in ("type", "base_url")}
            if request.base_url:
                provider["base_url"] = request.base_url
            if request.model:
                provider["model"] = request.model
            values = {"provider": provider}
        checked, _ = self._config.validate(values, SOURCE, check_model=request.provider == "local")
        return checked

    def _notes(self, request: ProjectRequest, values: Mapping[str, Any]) -> list[str]:
        if request.provider == "local":
            return self._local_notes(str(values["model"]))
        notes = []
        if not request.model:
            notes.append(
                f"no model set: add one (chi-llm config set provider.model NAME, in {request.folder}) "
                f"or set {PROVIDER_ENV_PREFIX}MODEL; chi-llm providers discover-models {request.provider} lists them"
            )
        variables = self._schemas[request.provider].key_variables
        if variables:
            notes.append(
                f"put the API key in the environment ({variables[-1] if len(variables) == 1 else variables[1]})"
            )
        return notes

    def _local_notes(self, model: str) -> list[str]:
        """Whether the model still has to be fetched (a file path or another tool's model is used
        where it is)."""
        if looks_like_path(model) or is_inventory_id(model):
            return []
        try:
            spec = self._models.catalog.get(model)
        except ModelNotFound:
            return []
        if self._models.is_downloaded(spec):
            return [f"{spec.id} is already downloaded: the project works offline"]
        return [f"the model downloads on first use; to fetch it now: chi-llm models download {spec.id}"]

    def _moved(self, path: Path) -> PlannedFile:
        """Another configuration file, renamed to `.bak` (its content stays as it is there)."""
        existing = self._files.read_text(path)
        backup = path.with_name(path.name + ".bak")
        return PlannedFile(path=path, content=existing or "", action="move", existing=existing, backup=backup)

    def _planned(self, path: Path, content: str, force: bool, blocked_by: list[Path] | None = None) -> PlannedFile:
        existing = self._files.read_text(path)
        if blocked_by and not force:
            names = ", ".join(p.name for p in blocked_by)
            reason = f"{names} already configures this folder (and is read first); --force moves it aside to .bak"
            return PlannedFile(path=path, content=content, action="skip", existing=existing, reason=reason)
        if existing is None:
            return PlannedFile(path=path, content=content, action="create")
        if existing == content:
            return PlannedFile(path=path, content=content, action="unchanged", existing=existing, reason="already so")
        if not force:
            reason = "exists with other content; --force overwrites it (the old one is kept as .bak)"
            return PlannedFile(path=path, content=content, action="skip", existing=existing, reason=reason)
        backup = path.with_name(path.name + ".bak")
        return PlannedFile(path=path, content=content, action="overwrite", existing=existing, backup=backup)
