"""Layered configuration: resolution, provenance ("explain") and merged writes."""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from chi_llm.application.config_env import env_layers
from chi_llm.application.config_values import coerce, migrated, parse_scalar, stored_form
from chi_llm.application.models.store import is_inventory_id, looks_like_path
from chi_llm.domain.config_limits import check_structure
from chi_llm.domain.errors import ConfigError, InvalidRequest, ModelNotFound
from chi_llm.domain.legacy import DROPPED_ENV, RENAMED_KEYS, legacy_model, migrate_layer, migrate_provider
from chi_llm.domain.models.hub_refs import is_hub_reference, parse_reference
from chi_llm.domain.ports import ConfigStore
from chi_llm.domain.providers import ProviderProfile, Schemas
from chi_llm.domain.setting_rules import check_default_provider
from chi_llm.domain.settings import KEYS, Setting, Settings, check_on_disk, check_value

Layer = tuple[str, Mapping[str, Any]]

log = logging.getLogger("chi_llm")
_shown_notices: set[str] = set()


def notify(notices: list[str]) -> None:
    """Show each chi_llm 2.x notice once per process (a `chi_llm` log warning)."""
    for notice in notices:
        if notice not in _shown_notices:
            _shown_notices.add(notice)
            log.warning(notice)


class ConfigService:
    """Resolves settings, highest first: arguments > config_path file > environment >
    project file > global file > defaults.

    `CHI_LLM_CONFIG` (a path or inline JSON) sits in the environment layer, below the
    individual `CHI_LLM_*` variables.
    """

    def __init__(
        self,
        store: ConfigStore,
        env: Mapping[str, str],
        *,
        schemas: Schemas,
        known_models: Callable[[Mapping[str, Any]], list[str]] | None = None,
    ) -> None:
        self._store = store
        self._env = env
        self.schemas = schemas
        self._known_models = known_models

    def _check(self, key: str, value: Any, source: str) -> Any:
        return check_value(key, value, source=source, schemas=self.schemas)

    def layers(
        self,
        explicit: Mapping[str, Any] | None = None,
        config_path: Path | None = None,
        *,
        pending: tuple[Path, Mapping[str, Any]] | None = None,
    ) -> list[Layer]:
        """Every source that contributes, lowest precedence first. `pending`: a file's mapping
        as a change is about to write it, read in place of the file."""
        layers: list[Layer] = [("default", {k: v.default for k, v in KEYS.items()})]

        def read(path: Path) -> Mapping[str, Any]:
            return pending[1] if pending is not None and pending[0] == path else self._store.read(path)

        global_file = self._store.global_file()
        if self._store.exists(global_file) or (pending is not None and pending[0] == global_file):
            layers.append((f"global file {global_file}", read(global_file)))
        project = self._store.project_file()
        if project is None and pending is not None and pending[0] == self._store.project_target():
            project = pending[0]
        if project is not None:
            layers.append((f"project file {project}", read(project)))
        layers.extend(env_layers(self._env, self._store))
        if config_path is not None:
            path = Path(os.path.expanduser(config_path))
            if not self._store.exists(path):
                raise ConfigError("the file does not exist", source=f"config_path {path}")
            layers.append((f"config_path {path}", self._store.read(path)))
        if explicit:
            layers.append(("argument", {k: v for k, v in explicit.items() if v is not None}))
        return layers

    def resolve(
        self, explicit: Mapping[str, Any] | None = None, config_path: Path | None = None, *, check_model: bool = True
    ) -> Settings:
        """Merge the layers, validating every value against its key's type and range.

        `check_model=False` skips checking `model` against the local catalog (a remote provider
        was chosen, whose model names the catalog does not know)."""
        values, notices = self._merge(self.layers(explicit, config_path))
        plain = {key: setting.value for key, setting in values.items()}
        if check_model:
            values["model"] = self._check_model(values["model"], plain, notices)
        notices.extend(
            f"env {var}: ignored ({why}); unset it (chi_llm 2.x form)"
            for var, why in DROPPED_ENV.items()
            if self._env.get(var, "").strip()
        )
        notify(notices)
        return Settings(values=values)

    def refine(self, settings: Settings, explicit: Mapping[str, Any], *, check_model: bool = True) -> Settings:
        """`settings` with `explicit` on top as arguments, as `resolve` with them would give, but
        without reading the files and the environment again: for a choice made once the settings
        are known (a server route's model, a one-shot context sized to the prompt).
        `check_model`: check a `model` given here against the local catalog."""
        given = {key: value for key, value in explicit.items() if value is not None}
        values, notices = self._merge([("argument", given)], below=settings.values)
        if check_model and "model" in given:
            plain = {key: setting.value for key, setting in values.items()}
            values["model"] = self._check_model(values["model"], plain, notices)
        notify(notices)
        return Settings(values=values)

    def _merge(
        self,
        layers: list[Layer],
        only: frozenset[str] | None = None,
        *,
        below: Mapping[str, Setting] | None = None,
    ) -> tuple[dict[str, Setting], list[str]]:
        """The layers merged key by key (each value checked) over `below` (settings already
        resolved), and the chi_llm 2.x notices. `only`: merge just these keys (the others are
        neither read nor checked)."""
        values: dict[str, Setting] = dict(below or {})
        notices: list[str] = []
        for source, layer in layers:
            if not isinstance(layer, Mapping):
                raise ConfigError("the top level must be a mapping of keys to values", source=source)
            if source != "default":
                layer, more = migrate_layer(layer, source)
                notices.extend(more)
            for key, raw in layer.items():
                if only is not None and key not in only:
                    continue
                if key == "provider" and key in values and source != "default":
                    raw = self._merged_provider(values[key].value, raw)
                if key == "provider" and isinstance(raw, Mapping) and source != "default":
                    raw, more, _ = migrate_provider(raw, source, final=True)
                    notices.extend(more)
                values[key] = Setting(key=key, value=self._check(key, raw, source), source=source)
        return values, notices

    @staticmethod
    def _merged_provider(below: Any, raw: Any) -> Any:
        """A `provider:` layer changes the fields it names; a different `type` starts afresh."""
        if not isinstance(raw, Mapping) or not isinstance(below, ProviderProfile):
            return raw
        if raw.get("type", below.type) != below.type:
            return raw
        return {**below.single(), **raw}

    def _check_model(self, model: Setting, values: Mapping[str, Any], notices: list[str]) -> Setting:
        """`model` checked against the catalog; a chi_llm 2.x id becomes today's (with a notice)."""
        provider = values.get("provider")
        remote_single = isinstance(provider, ProviderProfile) and provider.type != "local"
        remote_profiles = any(p.type != "local" for p in values.get("providers") or ())
        if remote_single or remote_profiles or self._known_models is None:
            return model
        name = str(model.value)
        if looks_like_path(name) or is_inventory_id(name):
            return model  # checked when the model is loaded: a path must exist, an inventory id be found
        if is_hub_reference(name):
            try:
                parse_reference(name)  # fetched when the model is loaded; its form is checked now
            except InvalidRequest as exc:
                raise ConfigError(exc.message, source=model.source, key="model") from None
            return model
        known = self._known_models(values)
        current = legacy_model(name, known)
        if current is not None:
            notices.append(
                f"{model.source}: model {name!r} is a chi_llm 2.x id, read as {current!r}; write that instead"
            )
            return Setting(key="model", value=current, source=model.source)
        if name not in known and model.source == "argument":  # asked for by name: as `models info` says
            raise ModelNotFound(
                f"unknown model id {name!r}; known models: {', '.join(known)} (or give a path to a .gguf file)",
                backend="catalog",
            )
        if name not in known:
            raise ConfigError(
                f"unknown model id {name!r}; known models: {', '.join(known)} (or give a path to a .gguf file)",
                source=model.source,
                key="model",
            )
        return model

    def update(
        self,
        change: Callable[[dict[str, Any]], None],
        scope: Literal["project", "global"] = "project",
        *,
        private: bool = False,
    ) -> Path:
        """Apply `change` to the project or global file's mapping, validate the result, write
        atomically — all under an inter-process lock, so concurrent changes are never lost.
        `private`: the change adds a secret, so the file becomes readable by its owner only.
        The keys the change set are also held to the rules their readers apply (setting_rules)."""
        path = self._store.project_target() if scope == "project" else self._store.global_file()
        with self._store.lock(path):
            existing = dict(self._store.read(path)) if self._store.exists(path) else {}
            before = copy.deepcopy(existing)  # a change may edit nested mappings in place
            change(existing)
            checked, notices = self.validate(existing, str(path), layered=path)
            check_structure(checked, source=str(path))  # what is written must read back
            self._rules(path, checked, {k for k in existing if existing[k] != before.get(k)})
            notify([f"{n}; the file is now written with today's keys" for n in notices])
            self._store.write(path, checked, private=private)
        return path

    def _rules(self, path: Path, values: dict[str, Any], keys: set[str]) -> None:
        """The rules beyond a value itself (domain.setting_rules) for the `keys` a change set in
        the file at `path`, as `values` (checked) is about to be written: the same rules, and
        words, as the readers of those keys use."""
        for key in keys & set(values):
            check_on_disk(key, values[key], source=str(path))
        if "default_provider" in keys and values.get("default_provider") is not None:
            only = frozenset({"provider", "providers", "default_provider", "fallback_to_local"})
            merged, _ = self._merge(self.layers(pending=(path, values)), only)
            effective = Settings(values=merged)
            try:
                check_default_provider(effective["default_provider"], effective.profiles())
            except ConfigError as exc:
                raise ConfigError(exc.detail, source=str(path), key=exc.key) from None

    def validate(
        self, values: Mapping[str, Any], source: str, *, check_model: bool = True, layered: Path | None = None
    ) -> tuple[dict[str, Any], list[str]]:
        """A file's mapping checked key by key as `resolve` would (ConfigError naming `source`
        and the key otherwise), in today's keys and as a file stores them; and the notices for
        chi_llm 2.x keys it had. `check_model`: check `model` against the local catalog.
        `layered`: the file is this configuration file, so `model` may name a model registered
        in another one (`models add` writes the global file; the project may choose it)."""
        current, notices = migrated(values, source)
        checked = {name: self._check(name, value, source) for name, value in current.items()}
        if check_model and "model" in checked:
            setting = Setting(key="model", value=checked["model"], source=source)
            context = checked
            if layered is not None:
                merged, _ = self._merge(self.layers(pending=(layered, values)), frozenset({"models"}))
                context = {**checked, "models": merged["models"].value}
            checked["model"] = self._check_model(setting, context, notices).value
        return {name: stored_form(value) for name, value in checked.items()}, notices

    def migrate(self, scope: Literal["project", "global"] = "project") -> tuple[Path, list[str]]:
        """Rewrite the project or global file in today's keys. Returns the file and what changed
        (nothing written when nothing needed changing)."""
        path = self._store.project_target() if scope == "project" else self._store.global_file()
        if not self._store.exists(path):
            raise ConfigError("there is no such file to migrate", source=str(path))
        _, notices = migrated(self._store.read(path), str(path))
        if notices:
            self.update(lambda values: None, scope)
        return path, notices

    def set_value(self, key: str, raw: str, scope: Literal["project", "global"] = "project") -> Path:
        """Set one key in the project or global file, merging into what the file already holds.

        `provider.NAME` sets one field of the provider mapping. The merged file is validated
        before anything is written; the write is atomic.
        """
        target = self._store.project_target() if scope == "project" else self._store.global_file()
        if key in RENAMED_KEYS:
            notify([f"'{key}' is the chi_llm 2.x name of '{RENAMED_KEYS[key]}'; setting '{RENAMED_KEYS[key]}'"])
            key = RENAMED_KEYS[key]
        return self.update(lambda existing: self._set(existing, key, raw, str(target)), scope)

    def project_file(self) -> Path | None:
        """The project's configuration file (nearest folder first), if there is one."""
        return self._store.project_file()

    def stored(self, scope: Literal["project", "global"] = "project") -> dict[str, Any]:
        """What the project or global file holds, as written (empty when there is no file)."""
        path = self._store.project_target() if scope == "project" else self._store.global_file()
        return dict(self._store.read(path)) if self._store.exists(path) else {}

    def unset_value(self, key: str, scope: Literal["project", "global"] = "project") -> bool:
        """Remove `key` (or one `provider.NAME` field) from the project or global file, so the
        layers below decide it again. Returns whether the file had it; nothing is written if not."""
        top, _, field = key.partition(".")
        if top not in KEYS:
            raise ConfigError(f"unknown key; known keys are {', '.join(KEYS)}", key=key)
        found = [False]

        def drop(values: dict[str, Any]) -> None:
            provider = values.get(top)
            if field and isinstance(provider, Mapping) and field in provider:
                values[top] = {k: v for k, v in provider.items() if k != field}
                found[0] = True
            elif not field and top in values:
                del values[top]
                found[0] = True

        path = self._store.project_target() if scope == "project" else self._store.global_file()
        if self._store.exists(path):
            self.update(drop, scope)
        return found[0]

    def _set(self, existing: dict[str, Any], key: str, raw: str, path: str) -> None:
        top, _, field = key.partition(".")
        if field:
            if top != "provider":
                raise ConfigError("only provider.* keys can be dotted", source=path, key=key)
            current = existing.get("provider")
            existing["provider"] = {**(current if isinstance(current, Mapping) else {}), field: parse_scalar(raw)}
        else:
            existing[key] = self._coerce(key, raw, source=path)

    def _coerce(self, key: str, raw: str, *, source: str) -> Any:
        """The value of `raw` for `key`: the text itself if the key accepts it, else its JSON value."""
        return coerce(lambda value: self._check(key, value, source), raw)
