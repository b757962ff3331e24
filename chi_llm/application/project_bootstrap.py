"""`chi-llm bootstrap` and `chi_llm.bootstrap()`: a project's configuration file, `.env.sample`
and `llm-requirements.txt` — planned (the TUI previews the plan), then written without ever
overwriting a file unless asked, validated by loading the configuration back."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from chi_llm.application.config import ConfigService
from chi_llm.application.config_env import ENV_KEYS, PROVIDER_ENV_PREFIX
from chi_llm.application.model_store import ModelStore, is_inventory_id, looks_like_path
from chi_llm.domain.errors import InvalidRequest, ModelNotFound
from chi_llm.domain.ports import ConfigStore, ProjectFiles
from chi_llm.domain.project import EXTRAS, PROJECT_PROVIDERS, PlannedFile, ProjectPlan, ProjectRequest
from chi_llm.domain.providers import Schemas
from chi_llm.domain.settings import KEYS, PROJECT_FILE_NAMES

SOURCE = "chi-llm bootstrap"
SHARED_ENV = ("CHI_LLM_MAX_TOKENS", "CHI_LLM_TEMPERATURE", "CHI_LLM_TOP_P")
LOCAL_ENV = ("CHI_LLM_MODEL", "CHI_LLM_CONTEXT", "CHI_LLM_HOME")


class ProjectBootstrap:
    def __init__(
        self,
        *,
        config: ConfigService,
        store_for: Callable[[Path], ConfigStore],
        files: ProjectFiles,
        schemas: Schemas,
        models: ModelStore,
        version: str,
    ) -> None:
        self._config = config
        self._store_for = store_for
        self._files = files
        self._schemas = schemas
        self._models = models
        self._default_model = models.catalog.default_id
        self._version = version

    def plan(self, request: ProjectRequest) -> ProjectPlan:
        """What `write` would do, with every file's full content; nothing is written."""
        values = self._values(request)
        folder = request.folder
        config_path = folder / (".chi_llm.yaml" if request.yaml else ".chi_llm.json")
        rendered = self._store_for(folder).render(config_path, values)
        others = [folder / n for n in PROJECT_FILE_NAMES if n != config_path.name and self._files.read_text(folder / n)]
        files = [
            self._planned(config_path, rendered, request.force, blocked_by=others),
            self._planned(folder / ".env.sample", self._env_sample(request), request.force),
            self._planned(folder / "llm-requirements.txt", self._requirements(request.extras), request.force),
        ]
        notes = list(self._notes(request, values))
        if others and request.force:
            notes.append(f"{', '.join(p.name for p in others)} moved aside to .bak: it would be read instead")
        return ProjectPlan(
            folder=folder,
            provider=request.provider,
            model=request.model or (self._default_model if request.provider == "local" else None),
            files=tuple(files),
            notes=tuple(notes),
            moved_aside=tuple(others) if request.force else (),
        )

    def write(self, request: ProjectRequest) -> ProjectPlan:
        """Write the plan: new files are created, differing ones only with `force` (the old one
        kept as `.bak`); then the configuration file is read back and checked."""
        plan = self.plan(request)
        for other in plan.moved_aside:
            self._files.back_up(other)
        for planned in plan.files:
            if planned.action == "overwrite":
                self._files.back_up(planned.path)
            if planned.action in ("create", "overwrite"):
                self._files.write_text(planned.path, planned.content)
        config_path = plan.files[0].path
        if plan.files[0].action != "skip":
            written = self._store_for(request.folder).read(config_path)
            self._config.validate(written, str(config_path), check_model=request.provider == "local")
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

    def _env_sample(self, request: ProjectRequest) -> str:
        lines = [
            "# Environment variables chi-llm reads for this project. Copy this file to .env and fill in",
            "# what you need; never commit real keys. chi-llm does not load .env itself: export the",
            "# variables, or use direnv, `docker --env-file`, your IDE or python-dotenv.",
            "# An empty or unset variable changes nothing; a set one overrides the configuration file.",
            "",
        ]
        if request.provider == "local":
            names = [*LOCAL_ENV, *SHARED_ENV]
        else:
            schema = self._schemas[request.provider]
            lines += [
                "# provider type (another type starts afresh from its defaults)",
                f"{PROVIDER_ENV_PREFIX}TYPE=",
                "",
            ]
            for variable in schema.key_variables:
                lines += [
                    f"# API key for {request.provider} (read when the configuration holds none)",
                    f"{variable}=",
                    "",
                ]
            for field in schema.fields:
                if field.name == "api_key":
                    continue
                default = "" if field.default is None else f" (default {field.default})"
                lines += [
                    f"# provider {field.name}: {field.help}{default}",
                    f"{PROVIDER_ENV_PREFIX}{field.name.upper()}=",
                    "",
                ]
            names = list(SHARED_ENV)
        for name in names:
            key = KEYS[ENV_KEYS[name]]
            lines += [f"# {key.name}: {key.help}", f"{name}=", ""]
        return "\n".join(lines).rstrip("\n") + "\n"

    def _requirements(self, extras: str) -> str:
        chosen = EXTRAS[extras]
        name = f"chi-llm[{','.join(chosen)}]" if chosen else "chi-llm"
        return (
            f"# chi-llm for this project (extras: {extras}); install with: pip install -r llm-requirements.txt\n"
            f"{name}=={self._version}\n"
        )

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
