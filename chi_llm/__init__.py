"""chi_llm: zero-configuration local LLMs. `from chi_llm import MicroLLM; MicroLLM().generate("...")`.

Importing this package is cheap: heavy libraries load only when a model is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chi_llm._version import __version__
from chi_llm.domain.errors import (
    AllProvidersFailed,
    BackendUnavailable,
    ChiLlmError,
    ConfigError,
    ContextLengthExceeded,
    GenerationFailed,
    InsufficientResources,
    InvalidRequest,
    MissingCredentials,
    ModelCorrupt,
    ModelFetchFailed,
    ModelNotFound,
    RateLimited,
    StructuredOutputError,
)

if TYPE_CHECKING:
    from chi_llm.entrypoints.facade import MicroLLM, quick_llm
    from chi_llm.entrypoints.legacy_api import ModelTable, load_config
    from chi_llm.entrypoints.project import bootstrap_project as bootstrap
    from chi_llm.entrypoints.rag import MicroRAG, quick_rag
    from chi_llm.entrypoints.templates import PromptTemplates
    from chi_llm.entrypoints.wiring import diagnose

    MODELS: ModelTable
    from chi_llm.entrypoints.model_manager import ModelManager

__all__ = [
    "MODELS",
    "AllProvidersFailed",
    "BackendUnavailable",
    "ChiLlmError",
    "ConfigError",
    "ContextLengthExceeded",
    "GenerationFailed",
    "InsufficientResources",
    "InvalidRequest",
    "MicroLLM",
    "MicroRAG",
    "MissingCredentials",
    "ModelCorrupt",
    "ModelFetchFailed",
    "ModelManager",
    "ModelNotFound",
    "PromptTemplates",
    "RateLimited",
    "StructuredOutputError",
    "__version__",
    "bootstrap",
    "diagnose",
    "load_config",
    "quick_llm",
    "quick_rag",
]


# chi_llm 2.x's names, kept (see "Moving from chi_llm 2.x" in the README); not in __all__
_LEGACY_NAMES = frozenset(
    {
        "code_prompt",
        "data_prompt",
        "truncate_text",
        "format_chat_history",
        "clean_response",
        "get_model_info",
        "resolve_model",
        "get_provider_settings",
        "list_provider_models",
        "ModelInfo",
        "list_available_models",
        "get_current_model_status",
        "CodeAnalyzer",
        "load_model",
        "analyze_code",
        "DEFAULT_QUESTION",
        "MODEL_REPO",
        "MODEL_FILE",
        "MODEL_DIR",
    }
)


def __dir__() -> list[str]:
    return sorted(__all__)


def __getattr__(name: str) -> Any:
    if name in ("MicroLLM", "quick_llm"):
        from chi_llm.entrypoints import facade

        return getattr(facade, name)
    if name in ("MicroRAG", "quick_rag"):  # lancedb and fastembed load only when used
        from chi_llm.entrypoints import rag

        return getattr(rag, name)
    if name == "bootstrap":  # the project scaffold (the composition root is chi_llm.entrypoints.wiring)
        from chi_llm.entrypoints.project import bootstrap_project

        return bootstrap_project
    if name == "diagnose":
        from chi_llm.entrypoints.wiring import diagnose

        return diagnose
    if name == "load_config":
        from chi_llm.entrypoints.legacy_api import load_config

        return load_config
    if name == "MODELS":  # built on first use: reading the catalog is not free
        from chi_llm.entrypoints.legacy_api import models_table

        return models_table()
    if name == "PromptTemplates":
        from chi_llm.entrypoints.templates import PromptTemplates

        return PromptTemplates
    if name == "ModelManager":
        from chi_llm.entrypoints.model_manager import ModelManager

        return ModelManager
    if name in _LEGACY_NAMES:
        from chi_llm.entrypoints.legacy_api import export

        return export(name)
    raise AttributeError(f"module 'chi_llm' has no attribute {name!r}")
