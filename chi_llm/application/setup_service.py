"""`chi-llm setup`: choose a local model or a provider, check it, and save the choice by merging
into the configuration. Nothing is written until the last step, so an interrupted setup leaves
the configuration as it was."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from chi_llm.application.config import ConfigService
from chi_llm.application.models.library import ModelLibrary
from chi_llm.application.provider_service import ProviderService
from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.models.views import ModelChoice
from chi_llm.domain.provider_views import ConnectionReport
from chi_llm.domain.providers import check_profile
from chi_llm.domain.setup_views import SetupResult

Scope = Literal["project", "global"]
LOCAL_ID = "local"


class SetupService:
    def __init__(self, *, library: ModelLibrary, providers: ProviderService, config: ConfigService) -> None:
        self.library = library
        self.providers = providers
        self._config = config

    def recommend(self, tag: str | None = None) -> ModelChoice:
        """The advisor's model for this machine, with the hardware it measured and its reasons."""
        return self.library.recommend(tag)

    # -- local -------------------------------------------------------------------------------
    def fetch(self, model_id: str) -> Path:
        """Download a catalog model (resumable, verified; nothing when it is already here)."""
        spec = self.library.models.catalog.get(model_id)  # ModelNotFound names the known ids
        return self.library.download(spec.id)

    def save_local(self, model_id: str, scope: Scope = "global") -> SetupResult:
        """Make the local model the default: `model`, and the local provider where another one
        was configured (a `providers` list gets a `local` profile, tried first)."""
        spec = self.library.models.catalog.get(model_id)

        def change(values: dict[str, Any]) -> None:
            values["model"] = spec.id
            provider = values.get("provider")
            if isinstance(provider, Mapping) and provider.get("type", LOCAL_ID) != LOCAL_ID:
                values["provider"] = {"type": LOCAL_ID}
            listed = values.get("providers")
            if listed:
                local = next((p for p in listed if isinstance(p, Mapping) and p.get("type") == LOCAL_ID), None)
                if local is None:
                    local = {"id": LOCAL_ID, "type": LOCAL_ID}
                    values["providers"] = [*listed, local]
                values["default_provider"] = local.get("id", LOCAL_ID)

        path = self._config.update(change, scope)
        notes = () if self.library.models.is_downloaded(spec) else (f"{spec.id} downloads on first use",)
        return SetupResult(kind="local", path=path, provider=LOCAL_ID, model=spec.id, notes=notes)

    # -- providers ---------------------------------------------------------------------------
    def profile(self, kind: str, settings: Mapping[str, Any], profile_id: str | None = None) -> dict[str, Any]:
        """A profile mapping for `kind`, checked against its schema (ConfigError otherwise)."""
        if kind not in self.providers.schemas or kind in (LOCAL_ID, "fake"):
            remote = ", ".join(k for k in self.providers.schemas if k not in (LOCAL_ID, "fake"))
            raise InvalidRequest(f"provider type must be one of {remote}, got {kind!r}")
        profile = {"id": profile_id or kind, "type": kind, "settings": dict(settings)}
        check_profile(profile, self.providers.schemas, source="chi-llm setup")
        return profile

    def check(self, profile: Mapping[str, Any]) -> ConnectionReport:
        """The connection test `providers test` runs (an unreachable server is never ok)."""
        checked = check_profile(profile, self.providers.schemas, source="chi-llm setup")
        return self.providers.test_connection(checked)

    def served(self, profile: Mapping[str, Any]) -> list[str]:
        """The model names the server lists (empty when it cannot say)."""
        return [m.id for m in self.providers.served_models(dict(profile))]

    def save_provider(
        self, profile: Mapping[str, Any], scope: Scope = "global", test: ConnectionReport | None = None
    ) -> SetupResult:
        """Add (or replace) the profile and make it the default provider."""
        path = self.providers.add(profile, scope, make_default=True)
        model = profile.get("settings", {}).get("model")
        return SetupResult(kind="provider", path=path, provider=str(profile["id"]), model=model, test=test)
