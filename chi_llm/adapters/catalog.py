"""The model catalog read from a YAML file (the packaged `models.yaml` by default)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from chi_llm.domain.errors import ConfigError, ModelNotFound
from chi_llm.domain.models import ModelSpec, parse_source
from chi_llm.domain.ports import ModelCatalog


def spec_from_entry(entry: Mapping[str, Any], *, where: str) -> ModelSpec:
    """Build a ModelSpec from one catalog entry, raising ConfigError that names the entry."""
    if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str):
        raise ConfigError("every model entry needs a text 'id'", source=where)
    try:
        return ModelSpec(
            id=entry["id"],
            name=str(entry.get("name", entry["id"])),
            source=parse_source(str(entry["source"])),
            filename=str(entry["filename"]),
            size_bytes=entry.get("size_bytes"),
            sha256=entry.get("sha256"),
            context_length=entry.get("context_length"),
            license=entry.get("license"),
            tags=tuple(entry.get("tags") or ()),
        )
    except KeyError as exc:
        raise ConfigError(f"missing field {exc.args[0]!r}", source=where, key=entry["id"]) from None
    except ConfigError as exc:
        raise ConfigError(exc.message, source=where, key=entry["id"]) from None


class YamlModelCatalog(ModelCatalog):
    """Reads the catalog lazily, once."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path

    @cached_property
    def _data(self) -> tuple[str, dict[str, ModelSpec]]:
        import yaml

        where = str(self._path or "packaged models.yaml")
        try:
            text = (
                self._path.read_text(encoding="utf-8")
                if self._path
                else resources.files("chi_llm.adapters").joinpath("models.yaml").read_text(encoding="utf-8")
            )
            raw = yaml.safe_load(text)
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read the model catalog: {exc}", source=where) from None
        if not isinstance(raw, Mapping) or not isinstance(raw.get("models"), list):
            raise ConfigError("a catalog is a mapping with a 'models' list", source=where)
        specs: dict[str, ModelSpec] = {}
        for entry in raw["models"]:
            spec = spec_from_entry(entry, where=where)
            if spec.id in specs:
                raise ConfigError("duplicate model id", source=where, key=spec.id)
            specs[spec.id] = spec
        default = raw.get("zero_config_default")
        if default not in specs:
            raise ConfigError(f"zero_config_default {default!r} is not a model id", source=where)
        return str(default), specs

    @property
    def default_id(self) -> str:
        return self._data[0]

    def all(self) -> list[ModelSpec]:
        return list(self._data[1].values())

    def get(self, model_id: str) -> ModelSpec:
        specs = self._data[1]
        if model_id not in specs:
            raise ModelNotFound(
                f"unknown model {model_id!r}; known models: {', '.join(specs)} (or give a path to a .gguf file)",
                backend="catalog",
            )
        return specs[model_id]
