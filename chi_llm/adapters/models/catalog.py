"""The model catalog: the packaged `models.yaml`, overlaid by a user catalog and config entries."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping, Sequence
from functools import cached_property
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from chi_llm.adapters.bounded_read import read_text
from chi_llm.adapters.yaml_text import load_yaml
from chi_llm.domain.config_limits import check_structure
from chi_llm.domain.errors import ConfigError, ModelNotFound
from chi_llm.domain.legacy import legacy_model
from chi_llm.domain.models.ids import model_id_problem
from chi_llm.domain.models.spec import LocalSource, ModelSpec, Sampling, parse_source
from chi_llm.domain.ports import ModelCatalog

if TYPE_CHECKING:
    from chi_llm.domain.models.views import CatalogCheck

FIELDS = {
    "id",
    "name",
    "family",
    "parameters",
    "quantization",
    "source",
    "path",
    "filename",
    "size_bytes",
    "approx_size_bytes",
    "sha256",
    "context_length",
    "default_context",
    "kv_bytes_per_token",
    "license",
    "description",
    "tags",
    "sampling",
    "tools",
}


@functools.cache
def packaged_catalog_text() -> str:
    """The packaged models.yaml (read once per process)."""
    return resources.files("chi_llm.adapters.models").joinpath("models.yaml").read_text(encoding="utf-8")


@functools.cache
def _packaged_entries() -> tuple[str | None, tuple[Mapping[str, Any], ...]]:
    """The packaged catalog from its JSON twin (generated from models.yaml by
    scripts/catalog_json.py and checked equal by a test): no YAML parser on a cold start."""
    raw = json.loads(resources.files("chi_llm.adapters.models").joinpath("models.json").read_text(encoding="utf-8"))
    default = raw.get("zero_config_default")
    return (None if default is None else str(default)), tuple(raw.get("models") or [])


def spec_from_entry(entry: Mapping[str, Any], *, where: str) -> ModelSpec:
    """Build a ModelSpec from one catalog entry, raising ConfigError that names the entry and field."""
    if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str) or not entry["id"].strip():
        raise ConfigError("every model entry needs a text 'id'", source=where)
    model_id = entry["id"]
    problem = model_id_problem(model_id)
    if problem is not None:  # said before the id is used to name anything (it may hold a newline)
        raise ConfigError(problem, source=where)
    unknown = set(entry) - FIELDS
    if unknown:
        raise ConfigError(f"unknown field(s) {', '.join(sorted(unknown))}", source=where, key=model_id)
    try:
        if entry.get("path"):
            source: Any = LocalSource(path=str(Path(os.path.expanduser(str(entry["path"])))))
            default_name = Path(source.path).name
        elif entry.get("source"):
            source = parse_source(str(entry["source"]))
            default_name = PurePosixPath(getattr(source, "filename", "") or getattr(source, "member", "")).name
        else:
            raise ConfigError("needs a 'source' (hf:/wheel:) or a local 'path'", source=where, key=model_id)
        tags = entry.get("tags")
        tags = () if tags is None else tags
        if not isinstance(tags, (list, tuple)) or not all(isinstance(t, str) for t in tags):
            raise ConfigError("tags must be a list of text", source=where, key=model_id)
        return ModelSpec(
            id=model_id,
            name=str(entry.get("name") or model_id),
            source=source,
            filename=str(entry.get("filename") or default_name),
            size_bytes=entry.get("size_bytes"),
            approx_size_bytes=entry.get("approx_size_bytes"),
            sha256=entry.get("sha256"),
            context_length=entry.get("context_length"),
            default_context=entry.get("default_context"),
            kv_bytes_per_token=entry.get("kv_bytes_per_token"),
            family=entry.get("family"),
            parameters=None if entry.get("parameters") is None else str(entry["parameters"]),
            quantization=entry.get("quantization"),
            license=entry.get("license"),
            description=entry.get("description"),
            tags=tuple(tags),
            sampling=_sampling(entry.get("sampling")),
            tools=entry.get("tools"),
        )
    except ConfigError as exc:
        if exc.key == model_id:
            raise
        raise ConfigError(exc.detail, source=where, key=model_id) from None


def _sampling(raw: Any) -> Sampling | None:
    """A catalog entry's `sampling: {temperature, top_p, top_k, min_p, repeat_penalty}`."""
    if raw is None:
        return None
    allowed = {f for f in Sampling.__dataclass_fields__}
    if not isinstance(raw, Mapping) or set(raw) - allowed:
        raise ConfigError(f"sampling must be a mapping of {', '.join(sorted(allowed))}")
    return Sampling(**dict(raw))


def load_catalog_text(text: str, *, where: str) -> tuple[str | None, list[Mapping[str, Any]]]:
    """Parse catalog YAML into (zero_config_default, entries), with errors naming `where`."""
    default, entries = _parse_catalog(text, where)
    return default, list(entries)


@functools.lru_cache(maxsize=8)
def _parse_catalog(text: str, where: str) -> tuple[str | None, tuple[Mapping[str, Any], ...]]:
    """Parsed once per text in a process (the packaged catalog is read by several services);
    callers never mutate the entries."""
    try:
        raw = load_yaml(text)
    except ValueError as exc:
        raise ConfigError(str(exc), source=where) from None
    check_structure(raw, source=where)
    if not isinstance(raw, Mapping) or not isinstance(raw.get("models", []), list):
        raise ConfigError("a catalog is a mapping with a 'models' list", source=where)
    default = raw.get("zero_config_default")
    return (None if default is None else str(default)), tuple(raw.get("models") or [])


def merge_entries(base: dict[str, dict[str, Any]], overlay: Sequence[Any], *, where: str) -> None:
    """Overlay entries by id: fields of an existing id are replaced one by one; new ids are added."""
    seen: set[str] = set()
    for entry in overlay:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str):
            raise ConfigError("every model entry needs a text 'id'", source=where)
        problem = model_id_problem(entry["id"])
        if problem is not None:
            raise ConfigError(problem, source=where)
        if entry["id"] in seen:
            raise ConfigError("duplicate model id", source=where, key=entry["id"])
        seen.add(entry["id"])
        merged = {**base.get(entry["id"], {}), **entry}
        if "path" in entry:
            merged.pop("source", None)
        elif "source" in entry:
            merged.pop("path", None)
        base[entry["id"]] = merged


class YamlModelCatalog(ModelCatalog):
    """The packaged catalog (or `path`), then `CHI_LLM_MODELS_YAML`, then config `models:` entries.

    Read lazily, once; every entry is validated, and a bad entry is an error naming its file and id.
    """

    def __init__(
        self,
        path: Path | None = None,
        *,
        user_file: Path | None = None,
        config_entries: Sequence[Mapping[str, Any]] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._path = path
        env = os.environ if env is None else env
        self._user_file = user_file or (Path(env["CHI_LLM_MODELS_YAML"]) if env.get("CHI_LLM_MODELS_YAML") else None)
        self._user_where = f"user catalog {self._user_file}" + ("" if user_file else " (CHI_LLM_MODELS_YAML)")
        self._config_entries = list(config_entries)

    @cached_property
    def _data(self) -> tuple[str, dict[str, ModelSpec]]:
        where = str(self._path or "packaged models.yaml")
        if self._path is None:
            default, packaged = _packaged_entries()
            entries = list(packaged)
        else:
            text = read_text(self._path, source=where)
            default, entries = load_catalog_text(text, where=where)
        merged: dict[str, dict[str, Any]] = {}
        merge_entries(merged, entries, where=where)
        origin = dict.fromkeys(merged, where)
        if self._user_file is not None:
            user_where = self._user_where
            user_text = read_text(self._user_file, source=user_where)
            user_default, user_entries = load_catalog_text(user_text, where=user_where)
            merge_entries(merged, user_entries, where=user_where)
            origin.update(dict.fromkeys((e["id"] for e in user_entries), user_where))
            default = user_default or default
        if self._config_entries:
            merge_entries(merged, self._config_entries, where="configuration 'models'")
            origin.update(dict.fromkeys((e["id"] for e in self._config_entries), "configuration 'models'"))
        specs = {model_id: spec_from_entry(entry, where=origin[model_id]) for model_id, entry in merged.items()}
        if default not in specs:
            raise ConfigError(f"zero_config_default {default!r} is not a model id", source=where)
        return str(default), specs

    @property
    def default_id(self) -> str:
        return self._data[0]

    def check(self, path: Path | None = None) -> CatalogCheck:
        return check_catalog_file(path)

    def all(self) -> list[ModelSpec]:
        return list(self._data[1].values())

    def get(self, model_id: str) -> ModelSpec:
        specs = self._data[1]
        current = legacy_model(model_id, set(specs))  # a chi_llm 2.x id: its nearest entry today
        if current is not None:
            return specs[current]
        if model_id not in specs:
            raise ModelNotFound(
                f"unknown model {model_id!r}; known models: {', '.join(specs)} (or give a path to a .gguf file)",
                backend="catalog",
            )
        return specs[model_id]


def check_catalog_file(path: Path | None) -> CatalogCheck:
    """The packaged catalog (path None) or a file, checked; an unreadable file fails the check."""
    from chi_llm.domain.models.views import CatalogCheck

    where = "packaged models.yaml" if path is None else str(path)
    try:
        text = packaged_catalog_text() if path is None else read_text(path)
    except ConfigError as exc:
        return CatalogCheck(ok=False, path=where, errors=(f"cannot read: {exc.detail}",), warnings=(), models=0)
    errors, warnings, count = validate_catalog(text, where=where)
    return CatalogCheck(ok=not errors, path=where, errors=tuple(errors), warnings=tuple(warnings), models=count)


def validate_catalog(text: str, *, where: str) -> tuple[list[str], list[str], int]:
    """Every problem (errors, then warnings) in a catalog file, each naming its entry; and the entry count."""
    errors: list[str] = []
    warnings: list[str] = []
    try:
        default, entries = load_catalog_text(text, where=where)
    except ConfigError as exc:
        return [exc.detail], [], 0
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        label = entry.get("id") if isinstance(entry, Mapping) and not model_id_problem(entry.get("id")) else None
        try:
            spec = spec_from_entry(entry, where=f"entry {index + 1}")
        except ConfigError as exc:
            errors.append(f"{label or f'entry {index + 1}'}: {exc.detail}")
            continue
        if spec.id in seen:
            errors.append(f"{spec.id}: duplicate id")
        seen.add(spec.id)
        if not isinstance(spec.source, LocalSource):
            if spec.sha256 is None:
                warnings.append(f"{spec.id}: no sha256; the download is verified against the hub's metadata")
            if spec.planning_size is None:
                warnings.append(f"{spec.id}: no size_bytes or approx_size_bytes; disk and RAM checks cannot plan")
        if spec.kv_bytes_per_token is None:
            warnings.append(f"{spec.id}: no kv_bytes_per_token; RAM estimates leave out the KV cache")
    if default is not None and default not in seen:
        errors.append(f"zero_config_default {default!r} is not an id in this file")
    return errors, warnings, len(entries)
