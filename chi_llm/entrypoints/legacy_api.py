"""chi_llm 2.x's module-level API, kept where it costs nothing: `load_config` and `MODELS`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chi_llm.domain.legacy import legacy_model
from chi_llm.domain.model_spec import ModelSpec
from chi_llm.entrypoints.bootstrap import configuration


def load_config(config_path: str | Path | None = None) -> dict[str, Any]:
    """The effective configuration as a plain mapping (API keys only as set / not set)."""
    return configuration().resolve(None, Path(config_path) if config_path else None).public()


class ModelTable(dict[str, ModelSpec]):
    """Catalog models by id; a chi_llm 2.x id finds its nearest entry today."""

    def __missing__(self, key: str) -> ModelSpec:
        current = legacy_model(key, set(self))
        if current is None:
            raise KeyError(key)
        return self[current]

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key) or (isinstance(key, str) and legacy_model(key, set(self)) is not None)


def models_table() -> ModelTable:
    """Every catalog model (packaged, user catalog, configured `models:`) by id."""
    from chi_llm.entrypoints.bootstrap import bootstrap

    return ModelTable((spec.id, spec) for spec in bootstrap().catalog().all())
