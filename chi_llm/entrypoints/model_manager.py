"""ModelManager: the library API for the model catalog and local models (a view over ModelLibrary)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from chi_llm.application.models.library import ModelLibrary
from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.hardware import GIB
from chi_llm.domain.models.spec import FetchProgress, HfSource
from chi_llm.domain.models.views import ModelInfo
from chi_llm.entrypoints.wiring import wire


class ModelManager(ModelLibrary):
    """List, inspect, download, remove, register and choose models. Results are typed
    (`ModelInfo`, `DiskReport`, ...); each has `to_json()` for plain data.

    Args:
        config_path: an extra configuration file, as for MicroLLM.
        progress: called with FetchProgress events during downloads (default: a progress line
            on stderr when it is a terminal).
    """

    def __init__(
        self, config_path: str | Path | None = None, progress: Callable[[FetchProgress], None] | None = None
    ) -> None:
        self._config_path = config_path
        container = wire(config_path)
        if progress is not None:
            container.progress.override(progress)
        library = container.library()
        super().__init__(library.models, library.advisor, library.config, library.settings)

    # -- chi_llm 2.x's ModelManager API ------------------------------------------------------
    def list_models(
        self,
        show_all: bool | None = None,
        *,
        downloaded: bool = False,
        tag: str | None = None,
        fits: bool = False,
        context: int | None = None,
    ) -> list[ModelInfo]:
        """Catalog models; `show_all=False` (chi_llm 2.x) keeps only those that fit this machine."""
        return super().list_models(downloaded=downloaded, tag=tag, fits=fits or show_all is False, context=context)

    def get_current_model(self) -> ModelInfo:
        """The configured model's catalog entry (raises ModelNotFound for a path or unknown id)."""
        return self.info(self.current_id)

    def is_downloaded(self, model_id: str) -> bool:
        """Whether the model's file is on this machine."""
        return self.info(model_id).downloaded

    def get_model_path(self, model_id: str) -> str:
        """Where the model's file is (or will be once downloaded)."""
        return self.info(model_id).path

    def set_default_model(self, model_id: str, save_target: str = "global") -> Path:
        """Make `model_id` the default in the global (default) or project ("local") file."""
        if save_target not in ("global", "local", "project"):
            raise InvalidRequest(f"save_target must be 'global' or 'local', got {save_target!r}")
        return self.set_default(model_id, "global" if save_target == "global" else "project")

    def recommend_model(self) -> str:
        """The id of the model the advisor recommends for this machine."""
        return self.recommend().info.spec.id

    def get_model_stats(self) -> dict[str, Any]:
        """chi_llm 2.x's summary: counts, current and recommended model, available RAM, config source."""
        rows = self.list_models()
        choice = self.recommend()
        return {
            "total_models": len(rows),
            "downloaded": sum(1 for r in rows if r.downloaded),
            "current_model": self.current_id,
            "available_ram_gb": round(choice.hardware.available_ram / GIB, 2),
            "recommended_model": choice.info.spec.id,
            "config_source": self.settings.source("model"),
        }

    def load_config(self) -> dict[str, Any]:
        """The effective configuration (chi_llm 2.x's method; today `chi_llm.load_config()`)."""
        from chi_llm.entrypoints.legacy_api import load_config, old_spelling

        old_spelling("ModelManager.load_config()", "use chi_llm.load_config()")
        return load_config(self._config_path)

    def has_explicit_default(self) -> bool:
        """Whether a file, the environment or an argument set the model (not the built-in default)."""
        return self.settings.is_set("model")

    def resolve_effective_model(self, provider_local_model: str | None = None) -> tuple[str, str]:
        """(model id, why): "explicit default", else the local provider's "provider local
        fallback", else the "legacy default" (today: the catalog's default)."""
        if self.has_explicit_default():
            return self.current_id, "explicit default"
        if provider_local_model:
            return provider_local_model, "provider local fallback"
        return self.current_id, "legacy default"

    def save_config(self, target: str = "global") -> Path:
        """Store the current model as the default in the global or project ("local") file (2.x
        wrote its whole merged configuration there; today a file keeps only what was set in it)."""
        from chi_llm.entrypoints.legacy_api import old_spelling

        old_spelling("ModelManager.save_config()", "use set_default_model(id, save_target)")
        return self.set_default_model(self.current_id, target)

    def mark_downloaded(self, model_id: str) -> None:
        """Nothing to record: downloaded files are found on disk (checks that `model_id` is known)."""
        from chi_llm.entrypoints.legacy_api import old_spelling

        old_spelling("ModelManager.mark_downloaded()", "drop the call (downloads are found on disk)")
        self.info(model_id)

    def get_download_info(self, model_id: str) -> tuple[str, str]:
        """(where the file comes from, its file name): the hub repository, or the package it ships in."""
        spec = self.info(model_id).spec
        source = spec.source
        origin = source.repo if isinstance(source, HfSource) else str(getattr(source, "requirement", ""))
        return origin, spec.filename
