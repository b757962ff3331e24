"""Every provider type chi_llm knows. Adding a provider = one adapter module + one line here.

Each type's module is imported only when the type is used (its schema read or a profile of it
built), so a local-only process never loads the HTTP adapters.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import TypeVar

from chi_llm.adapters.providers.provider_type import ProviderType
from chi_llm.domain.providers import ProviderSchema

T = TypeVar("T")
PROVIDER_MODULES: dict[str, str] = {
    "local": "chi_llm.adapters.llama_cpp.provider:PROVIDER",
    "fake": "chi_llm.adapters.fake:FAKE_PROVIDER",
    "openai": "chi_llm.adapters.providers.openai_compatible:PROVIDER",
    "lmstudio": "chi_llm.adapters.providers.lmstudio:PROVIDER",
    "ollama": "chi_llm.adapters.providers.ollama:PROVIDER",
    "anthropic": "chi_llm.adapters.providers.anthropic:PROVIDER",
    "gemini": "chi_llm.adapters.providers.gemini:PROVIDER",
}


class _ByType(Mapping[str, T]):
    """A mapping keyed by the registered provider types, in registry order, importing nothing
    until a value is read."""

    def __init__(self, read: Callable[[str], T]) -> None:
        self._read = read

    def __getitem__(self, name: str) -> T:
        return self._read(name)

    def __iter__(self) -> Iterator[str]:
        return iter(PROVIDER_MODULES)

    def __len__(self) -> int:
        return len(PROVIDER_MODULES)

    def __contains__(self, name: object) -> bool:
        return name in PROVIDER_MODULES


def _provider_type(name: str) -> ProviderType:
    module, _, attribute = PROVIDER_MODULES[name].partition(":")
    found = getattr(importlib.import_module(module), attribute)
    if not isinstance(found, ProviderType) or found.name != name:
        raise TypeError(f"{PROVIDER_MODULES[name]} is not the {name!r} provider type")
    return found


PROVIDER_TYPES: Mapping[str, ProviderType] = _ByType(_provider_type)
_SCHEMAS: Mapping[str, ProviderSchema] = _ByType(lambda name: _provider_type(name).schema)


def schemas() -> Mapping[str, ProviderSchema]:
    """Each provider type's settings schema, in registry order (loaded on access)."""
    return _SCHEMAS
