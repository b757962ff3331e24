"""chi_llm 2.x's `chi_llm.models`: ModelManager, ModelInfo and MODELS (catalog specs by id; a
2.x id finds its nearest entry today)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chi_llm.domain.models.views import ModelInfo
from chi_llm.entrypoints.model_manager import ModelManager

if TYPE_CHECKING:
    from chi_llm.entrypoints.legacy_api import ModelTable

    MODELS: ModelTable

__all__ = ["MODELS", "ModelInfo", "ModelManager"]


def __getattr__(name: str) -> Any:
    if name == "MODELS":  # built on first use: reading the catalog is not free
        from chi_llm.entrypoints.legacy_api import models_table

        return models_table()
    raise AttributeError(f"module 'chi_llm.models' has no attribute {name!r}")
