"""ProviderTools: the library API behind `chi-llm providers ...` (profiles, tests, discovery)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from chi_llm.adapters.discovery import UrlSearch, candidate_urls, check_connection, find_url, http_probe
from chi_llm.domain.errors import ConfigError
from chi_llm.domain.providers import SCHEMAS, ConnectionReport, ProviderProfile, check_profile
from chi_llm.entrypoints.container import build_container, config_service
from chi_llm.entrypoints.provider_wiring import adhoc_profile, api_key, configured_profiles, make_builder

Scope = Literal["project", "global"]


class ProviderTools:
    """Configured provider profiles, their schemas, connection tests and model discovery."""

    def __init__(self, config_path: str | Path | None = None, env: Mapping[str, str] | None = None) -> None:
        self.env = os.environ if env is None else env
        self._config_path = Path(config_path) if config_path else None
        self.settings = config_service().resolve(None, self._config_path, check_model=False)

    # -- reading -----------------------------------------------------------------------------
    def profiles(self) -> list[ProviderProfile]:
        return configured_profiles(self.settings)

    def profile(self, provider: str | Mapping[str, Any]) -> ProviderProfile:
        profiles = self.profiles()
        adhoc = adhoc_profile(provider, profiles)
        if adhoc is not None:
            return adhoc
        for profile in profiles:
            if profile.id == provider:
                return profile
        raise ConfigError(
            f"no provider profile {provider!r}; configured: {', '.join(p.id for p in profiles)}", key="providers"
        )

    def describe(self, profile: ProviderProfile) -> dict[str, Any]:
        """A profile as shown to people and the TUI: secrets only as whether they are set."""
        shown = profile.public_settings()
        if "api_key" in {f.name for f in SCHEMAS[profile.type]}:
            shown["api_key"] = api_key(profile, self.env) is not None
        return {
            "id": profile.id,
            "type": profile.type,
            "tags": list(profile.tags),
            "priority": profile.priority,
            "default": profile.id == self.settings["default_provider"],
            "settings": shown,
        }

    def list_profiles(self) -> list[dict[str, Any]]:
        return [self.describe(p) for p in self.profiles()]

    @staticmethod
    def schema() -> dict[str, Any]:
        return {
            "providers": [
                {
                    "type": kind,
                    "fields": [
                        {
                            "name": f.name,
                            "type": f.type,
                            "required": f.required,
                            "default": f.default,
                            "help": f.help,
                            "options": list(f.options),
                        }
                        for f in fields
                    ],
                }
                for kind, fields in SCHEMAS.items()
            ]
        }

    def current(self, provider: str | None = None, tags: Sequence[str] = ()) -> list[dict[str, Any]]:
        """The candidates generation would try, in order."""
        router = build_container(self.settings, provider=provider, tags=tags).generator()
        return [self.describe(p) for p in router.candidates]

    # -- talking to servers ------------------------------------------------------------------
    def adapter(self, profile: ProviderProfile) -> Any:
        container = build_container(self.settings, provider=profile.id)
        local, fake = container.local_generator.provider, container.fake_generator.provider
        return make_builder(self.settings, self.env, local, fake)(profile)

    def test_connection(self, provider: str | Mapping[str, Any], *, e2e: bool = False) -> ConnectionReport:
        profile = self.profile(provider)
        if profile.type in ("local", "fake") and not e2e:
            message = "in-process backend; use --e2e to load the model and generate"
            return ConnectionReport(ok=True, status="ok", latency_ms=0.0, message=message)
        return check_connection(self.adapter(profile), e2e=e2e)

    def discover_models(self, provider: str | Mapping[str, Any]) -> list[dict[str, Any]]:
        profile = self.profile(provider)
        if profile.type == "local":
            from chi_llm.entrypoints.model_manager import ModelManager

            manager = ModelManager(self._config_path)
            rows = [{"id": r["id"], "downloaded": r["downloaded"], "source": "catalog"} for r in manager.list_models()]
            return rows + [{"id": m["id"], "downloaded": True, "source": m["origin"]} for m in manager.installed()]
        if profile.type == "fake":
            return [{"id": "fake"}]
        return list(self.adapter(profile).list_models())

    def find_url(
        self,
        kind: str,
        *,
        host: str | None = None,
        port: int | None = None,
        hosts: Sequence[str] | None = None,
        timeout: float = 1.5,
    ) -> UrlSearch:
        if kind not in ("lmstudio", "ollama"):
            raise ConfigError("find-url knows lmstudio and ollama", key="type")
        return find_url(
            kind, candidate_urls(kind, host=host, port=port, env=self.env, hosts=hosts), http_probe, timeout
        )

    # -- changing ----------------------------------------------------------------------------
    def add(self, profile: Mapping[str, Any], scope: Scope = "project") -> Path:
        checked = check_profile(profile, source="argument")

        def upsert(values: dict[str, Any]) -> None:
            kept = [p for p in values.get("providers") or [] if p.get("id") != checked.id]
            entry: dict[str, Any] = {"id": checked.id, "type": checked.type}
            if checked.tags:
                entry["tags"] = list(checked.tags)
            if checked.priority != 100:
                entry["priority"] = checked.priority
            if checked.settings:
                entry["settings"] = dict(checked.settings)
            values["providers"] = [*kept, entry]

        return config_service().update(upsert, scope)

    def update(
        self,
        provider_id: str,
        changes: Mapping[str, Any],
        *,
        tags: Sequence[str] | None = None,
        priority: int | None = None,
        make_default: bool = False,
        scope: Scope = "project",
    ) -> Path:
        def change(values: dict[str, Any]) -> None:
            listed = values.get("providers") or []
            match = next((p for p in listed if p.get("id") == provider_id), None)
            if match is None:
                raise ConfigError(f"no provider profile {provider_id!r} in this file; add it first", key="providers")
            match.setdefault("settings", {}).update(changes)
            if tags is not None:
                match["tags"] = list(tags)
            if priority is not None:
                match["priority"] = priority
            if make_default:
                values["default_provider"] = provider_id

        return config_service().update(change, scope)

    def remove(self, provider_id: str, scope: Scope = "project") -> Path:
        def drop(values: dict[str, Any]) -> None:
            listed = values.get("providers") or []
            if not any(p.get("id") == provider_id for p in listed):
                raise ConfigError(f"no provider profile {provider_id!r} in this file", key="providers")
            values["providers"] = [p for p in listed if p.get("id") != provider_id]
            if values.get("default_provider") == provider_id:
                del values["default_provider"]

        return config_service().update(drop, scope)
