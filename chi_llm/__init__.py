"""chi_llm: zero-configuration local LLMs. `from chi_llm import MicroLLM; MicroLLM().generate("...")`.

Importing this package is cheap: heavy libraries load only when a model is used.
"""

from __future__ import annotations

import importlib
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
    InvalidToolCall,
    MissingCredentials,
    ModelCorrupt,
    ModelFetchFailed,
    ModelNotFound,
    RateLimited,
    StructuredOutputError,
    ToolLoopLimit,
    ToolsUnsupported,
)

if TYPE_CHECKING:
    from chi_llm.application.tools import ActResult, tool
    from chi_llm.domain.tools import Tool, ToolCall
    from chi_llm.entrypoints.facade import MicroLLM, quick_llm
    from chi_llm.entrypoints.legacy_api import ModelTable, load_config
    from chi_llm.entrypoints.mcp_tools import McpTools, mcp_tools
    from chi_llm.entrypoints.project import bootstrap_project as bootstrap
    from chi_llm.entrypoints.rag import MicroRAG, quick_rag
    from chi_llm.entrypoints.templates import PromptTemplates
    from chi_llm.entrypoints.wiring import diagnose

    MODELS: ModelTable
    from chi_llm.entrypoints.model_manager import ModelManager

__all__ = [
    "MODELS",
    "ActResult",
    "AllProvidersFailed",
    "BackendUnavailable",
    "ChiLlmError",
    "ConfigError",
    "ContextLengthExceeded",
    "GenerationFailed",
    "InsufficientResources",
    "InvalidRequest",
    "InvalidToolCall",
    "McpTools",
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
    "Tool",
    "ToolCall",
    "ToolLoopLimit",
    "ToolsUnsupported",
    "__version__",
    "bootstrap",
    "diagnose",
    "load_config",
    "mcp_tools",
    "quick_llm",
    "quick_rag",
    "tool",
]


# chi_llm 2.x's names, kept (see docs/guides/migrating.md); not in __all__
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


# Names loaded when first used (module, attribute): importing chi_llm stays cheap, and lancedb,
# fastembed and the model management code load only for the code that asks for them.
_LAZY = {
    "MicroLLM": ("chi_llm.entrypoints.facade", "MicroLLM"),
    "quick_llm": ("chi_llm.entrypoints.facade", "quick_llm"),
    "MicroRAG": ("chi_llm.entrypoints.rag", "MicroRAG"),
    "quick_rag": ("chi_llm.entrypoints.rag", "quick_rag"),
    "bootstrap": ("chi_llm.entrypoints.project", "bootstrap_project"),  # the project scaffold
    "diagnose": ("chi_llm.entrypoints.wiring", "diagnose"),
    "load_config": ("chi_llm.entrypoints.legacy_api", "load_config"),
    "PromptTemplates": ("chi_llm.entrypoints.templates", "PromptTemplates"),
    "ModelManager": ("chi_llm.entrypoints.model_manager", "ModelManager"),
    "tool": ("chi_llm.application.tools", "tool"),
    "ActResult": ("chi_llm.application.tools", "ActResult"),
    "Tool": ("chi_llm.domain.tools", "Tool"),
    "ToolCall": ("chi_llm.domain.tools", "ToolCall"),
    "mcp_tools": ("chi_llm.entrypoints.mcp_tools", "mcp_tools"),  # the MCP SDK loads when a server starts
    "McpTools": ("chi_llm.entrypoints.mcp_tools", "McpTools"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(module), attribute)
    if name == "MODELS":  # built on first use: reading the catalog is not free
        from chi_llm.entrypoints.legacy_api import models_table

        return models_table()
    if name in _LEGACY_NAMES:
        from chi_llm.entrypoints.legacy_api import export

        return export(name)
    raise AttributeError(f"module 'chi_llm' has no attribute {name!r}")
