"""Every provider type chi_llm knows. Adding a provider = one adapter module + one line here."""

from __future__ import annotations

from chi_llm.adapters import anthropic, gemini, lmstudio, ollama, openai_compatible
from chi_llm.adapters.fake import FAKE_PROVIDER
from chi_llm.adapters.llama_cpp import provider as local
from chi_llm.adapters.provider_type import ProviderType
from chi_llm.domain.providers import ProviderSchema

PROVIDER_TYPES: dict[str, ProviderType] = {
    p.name: p
    for p in (
        local.PROVIDER,
        FAKE_PROVIDER,
        openai_compatible.PROVIDER,
        lmstudio.PROVIDER,
        ollama.PROVIDER,
        anthropic.PROVIDER,
        gemini.PROVIDER,
    )
}


def schemas() -> dict[str, ProviderSchema]:
    """Each provider type's settings schema, in registry order."""
    return {name: p.schema for name, p in PROVIDER_TYPES.items()}
