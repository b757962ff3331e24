"""chi_llm: zero-configuration local LLMs. `from chi_llm import MicroLLM; MicroLLM().generate("...")`.

Importing this package is cheap: heavy libraries load only when a model is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chi_llm._version import __version__
from chi_llm.domain.errors import (
    BackendUnavailable,
    ChiLlmError,
    ConfigError,
    ContextLengthExceeded,
    GenerationCancelled,
    GenerationFailed,
    InvalidRequest,
    MissingCredentials,
    ModelCorrupt,
    ModelFetchFailed,
    ModelNotFound,
)

if TYPE_CHECKING:
    from chi_llm.entrypoints.facade import MicroLLM, quick_llm

__all__ = [
    "BackendUnavailable",
    "ChiLlmError",
    "ConfigError",
    "ContextLengthExceeded",
    "GenerationCancelled",
    "GenerationFailed",
    "InvalidRequest",
    "MicroLLM",
    "MissingCredentials",
    "ModelCorrupt",
    "ModelFetchFailed",
    "ModelNotFound",
    "__version__",
    "quick_llm",
]


def __getattr__(name: str) -> Any:
    if name in ("MicroLLM", "quick_llm"):
        from chi_llm.entrypoints import facade

        return getattr(facade, name)
    raise AttributeError(f"module 'chi_llm' has no attribute {name!r}")
