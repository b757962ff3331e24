"""ModelManager: the library API for the model catalog and local models (a view over ModelLibrary)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from chi_llm.application.model_library import ModelLibrary
from chi_llm.domain.model_spec import FetchProgress
from chi_llm.entrypoints.bootstrap import bootstrap


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
        container = bootstrap(config_path, replace={"progress": progress} if progress else None)
        library: ModelLibrary = container.library()
        super().__init__(library.models, library.advisor, library.config, library.settings)
