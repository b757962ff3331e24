"""Typed results of the provider use cases: profile views, served models, URL searches, connection tests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chi_llm.domain.providers import ProviderProfile
from chi_llm.domain.results import JsonResult


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderView(JsonResult):
    """A configured profile as people and the TUI see it: secrets only as set / not set (a key
    from the environment counts as set). `fallback`: the embedded model, tried last, in no file."""

    profile: ProviderProfile
    default: bool
    key_set: bool | None  # None: the type takes no API key

    def json_fields(self) -> Mapping[str, Any]:
        shown = self.profile.public()
        if self.key_set is not None:
            shown["settings"]["api_key"] = self.key_set
        return {**shown, "default": self.default, "fallback": self.profile.fallback}


@dataclass(frozen=True, slots=True, kw_only=True)
class ServedModel(JsonResult):
    """A model a provider serves: its id and whatever the server tells about it."""

    id: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def json_fields(self) -> Mapping[str, Any]:
        return {"id": self.id, **self.details}


@dataclass(frozen=True, slots=True, kw_only=True)
class UrlSearch(JsonResult):
    """Where a local server (LM Studio, Ollama) answered, and every URL tried."""

    provider: str
    ok: bool
    base_url: str | None
    tried: tuple[str, ...]
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionReport(JsonResult):
    """The result of testing a provider: an unreachable server is never ok."""

    ok: bool
    status: str  # "ok", "unreachable", "unauthorized", "error", "not_found"
    latency_ms: float | None
    message: str
    models: tuple[str, ...] = ()  # what the server listed
