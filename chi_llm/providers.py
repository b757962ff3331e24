"""chi_llm 2.x's provider classes (LmStudioProvider, OllamaProvider, OpenAIProvider,
AnthropicProvider, ProviderRouter; ClaudeCLIProvider and OpenAICLIProvider are gone), each a
MicroLLM on a provider profile. Today: `MicroLLM(provider={...})`, `MicroLLM(providers=[...])`."""

from chi_llm.entrypoints.legacy_providers import (
    AnthropicProvider,
    ClaudeCLIProvider,
    LmStudioProvider,
    OllamaProvider,
    OpenAICLIProvider,
    OpenAIProvider,
    ProviderRouter,
)

__all__ = [
    "AnthropicProvider",
    "ClaudeCLIProvider",
    "LmStudioProvider",
    "OllamaProvider",
    "OpenAICLIProvider",
    "OpenAIProvider",
    "ProviderRouter",
]
