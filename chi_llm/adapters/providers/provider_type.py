"""What a provider adapter module declares: its settings schema and how a profile becomes an adapter."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chi_llm.domain.generation import DEFAULT_CONTEXT
from chi_llm.domain.hardware import Admit
from chi_llm.domain.models.spec import Sampling
from chi_llm.domain.ports import TextGenerator
from chi_llm.domain.providers import ProviderProfile, ProviderSchema


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildContext:
    """What building an adapter may need beyond its profile.

    Attributes:
        env: the environment (API key variables).
        model: the model this profile generates with, precedence already applied (`model_for`).
        context: the configured context window when the user set one, else None.
        locate, admit, sampling, threads, parallel, gpu_layers, local_context, tool_grammar: the
            local llama.cpp backend's wiring (`sampling`: a catalog model's recommended sampling;
            `parallel`: requests decoded together, None = as many as memory allows, at most
            DEFAULT_PARALLEL).
    """

    env: Mapping[str, str] = field(default_factory=dict)
    model: str | None = None
    context: int | None = None
    local_context: int = DEFAULT_CONTEXT
    threads: int | None = None
    parallel: int | None = None
    gpu_layers: int | None = None
    locate: Callable[[str], Path] | None = None
    admit: Admit | None = None
    sampling: Callable[[str], Sampling | None] | None = None
    tool_grammar: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderType:
    """One provider type: `build(profile, context)` returns a ready adapter (clients are lazy).

    `catalog_models`: the type runs the local catalog's models, so the configured `model` key
    applies to it even when it is only the built-in default.
    """

    schema: ProviderSchema
    build: Callable[[ProviderProfile, BuildContext], TextGenerator]
    catalog_models: bool = False

    @property
    def name(self) -> str:
        return self.schema.type


def with_defaults(profile: ProviderProfile, schema: ProviderSchema) -> dict[str, Any]:
    """The profile's settings over its schema's defaults (unset values do not hide defaults)."""
    return {**schema.defaults(), **{k: v for k, v in profile.settings.items() if v is not None}}
