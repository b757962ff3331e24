"""The provider use cases behind `chi-llm providers ...` and the TUI: profiles, schemas, the
current order, connection tests, model discovery and finding local servers. Typed results only."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from chi_llm.application.config import ConfigService
from chi_llm.application.models.library import ModelLibrary
from chi_llm.application.provider_router import adhoc_profile, candidates
from chi_llm.application.provider_single import carried_single
from chi_llm.domain.errors import BackendUnavailable, ChiLlmError, ConfigError, MissingCredentials, ModelNotFound
from chi_llm.domain.generation import GenerationOptions, GenerationRequest
from chi_llm.domain.messages import Message
from chi_llm.domain.ports import ModelLister, ServerFinder, TextGenerator
from chi_llm.domain.provider_views import ConnectionReport, ProviderView, ServedModel, UrlSearch
from chi_llm.domain.providers import ProviderProfile, ProviderSchema, Schemas, check_profile
from chi_llm.domain.settings import Settings

Scope = Literal["project", "global"]
FAILURES: tuple[tuple[type[ChiLlmError], str], ...] = (
    (BackendUnavailable, "unreachable"),
    (MissingCredentials, "unauthorized"),
    (ModelNotFound, "not_found"),
    (ChiLlmError, "error"),
)


class ProviderService:
    """Configured provider profiles and what can be asked of their servers."""

    def __init__(
        self,
        *,
        settings: Settings,
        schemas: Schemas,
        config: ConfigService,
        build: Callable[[ProviderProfile], TextGenerator],
        library: ModelLibrary,
        finder: ServerFinder,
        env: Mapping[str, str],
    ) -> None:
        self.settings = settings
        self.schemas = schemas
        self._config = config
        self._build = build
        self._library = library
        self._finder = finder
        self._env = env

    # -- reading -----------------------------------------------------------------------------
    def profiles(self) -> list[ProviderProfile]:
        return self.settings.profiles()

    def profile(self, provider: str | Mapping[str, Any]) -> ProviderProfile:
        """A configured id, a provider type (with its defaults) or a profile mapping."""
        profiles = self.profiles()
        adhoc = adhoc_profile(provider, profiles, self.schemas)
        if adhoc is not None:
            return adhoc
        for profile in profiles:
            if profile.id == provider:
                return profile
        configured = ", ".join(p.id for p in profiles)
        raise ConfigError(f"no provider profile {provider!r}; configured: {configured}", key="providers")

    def view(self, profile: ProviderProfile) -> ProviderView:
        schema = self.schemas[profile.type]
        key_set = None
        if "api_key" in schema.secrets:
            key_set = bool(profile.settings.get("api_key")) or any(self._env.get(v) for v in schema.key_variables)
        return ProviderView(profile=profile, default=profile.id == self.settings["default_provider"], key_set=key_set)

    def list_profiles(self) -> list[ProviderView]:
        return [self.view(p) for p in self.profiles()]

    def schema(self) -> list[ProviderSchema]:
        return list(self.schemas.values())

    def current(self, provider: str | None = None, tags: Sequence[str] = ()) -> list[ProviderView]:
        """The candidates generation would try, in order."""
        order = candidates(
            self.profiles(), self.schemas, provider=provider, tags=tags, default_id=self.settings["default_provider"]
        )
        return [self.view(p) for p in order]

    # -- talking to servers ------------------------------------------------------------------
    def test_connection(
        self, provider: str | Mapping[str, Any] | ProviderProfile, *, e2e: bool = False, within: float | None = None
    ) -> ConnectionReport:
        """List the server's models (and with `e2e` generate a few tokens). Unreachable is never ok.
        `within`: cap the profile's timeouts at this many seconds and do not retry (diagnostics)."""
        profile = provider if isinstance(provider, ProviderProfile) else self.profile(provider)
        if within is not None:
            profile = bounded(profile, self.schemas[profile.type], within)
        started = time.perf_counter()
        if profile.type in ("local", "fake") and not e2e:
            message = "in-process backend; use --e2e to load the model and generate"
            return ConnectionReport(ok=True, status="ok", latency_ms=0.0, message=message)
        adapter: TextGenerator | None = None
        try:
            adapter = self._build(profile)
            listed = adapter.list_models() if isinstance(adapter, ModelLister) else []
            served = tuple(str(m["id"]) for m in listed)
            message = f"reachable; {len(listed)} model(s) listed"
            if e2e:
                request = GenerationRequest(
                    messages=(Message(role="user", content="Say hi."),), options=GenerationOptions(max_tokens=8)
                )
                done = adapter.generate(request)
                message += f"; generated {done.usage.completion_tokens} token(s): {done.text.strip()[:60]!r}"
        except ChiLlmError as error:
            status = next(name for kind, name in FAILURES if isinstance(error, kind))
            return ConnectionReport(ok=False, status=status, latency_ms=_since(started), message=error.message)
        finally:
            if adapter is not None:
                adapter.close()
        return ConnectionReport(ok=True, status="ok", latency_ms=_since(started), message=message, models=served)

    def served_models(self, provider: str | Mapping[str, Any]) -> list[ServedModel]:
        profile = self.profile(provider)
        if profile.type == "local":
            catalog = [
                ServedModel(id=r.spec.id, details={"downloaded": r.downloaded, "source": "catalog"})
                for r in self._library.list_models()
            ]
            found = [
                ServedModel(id=m.id, details={"downloaded": True, "source": m.origin})
                for m in self._library.installed()
            ]
            return catalog + found
        adapter = self._build(profile)
        try:
            if not isinstance(adapter, ModelLister):
                return [ServedModel(id=profile.type)]
            listed = adapter.list_models()
        finally:
            adapter.close()
        return [ServedModel(id=str(m["id"]), details={k: v for k, v in m.items() if k != "id"}) for m in listed]

    def find_url(
        self,
        kind: str,
        *,
        host: str | None = None,
        port: int | None = None,
        hosts: Sequence[str] | None = None,
        timeout: float = 1.5,
    ) -> UrlSearch:
        return self._finder.find(kind, host=host, port=port, hosts=hosts, timeout=timeout)

    # -- changing ----------------------------------------------------------------------------
    def add(
        self,
        profile: Mapping[str, Any],
        scope: Scope = "project",
        *,
        make_default: bool = False,
        notes: list[str] | None = None,
    ) -> Path:
        """Add (or replace) a profile in the file. A one-provider `provider:` key in that file
        (not local) would be overridden by the list: it becomes the list's first profile and the
        default instead, so what answered before still answers first (said in `notes`)."""
        checked = check_profile(profile, self.schemas, source="argument")

        def upsert(values: dict[str, Any]) -> None:
            carried = carried_single(values, self.schemas, taken=checked.id)
            kept = [p for p in values.get("providers") or [] if p.get("id") != checked.id]
            values["providers"] = [*([carried.entry()] if carried else []), *kept, checked.entry()]
            if carried is not None:
                del values["provider"]
                values.setdefault("default_provider", carried.id)
                if notes is not None:
                    notes.append(
                        f"provider: ({carried.type}) is now the profile {carried.id!r}, the default, so that it "
                        f"still answers first (`providers set {checked.id} --default` makes the new one first)"
                    )
            if make_default:
                values["default_provider"] = checked.id

        private = any(checked.settings.get(name) for name in checked.secrets)
        return self._config.update(upsert, scope, private=private)

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

        secrets = {name for kind in self.schemas for name in self.schemas[kind].secrets}
        return self._config.update(change, scope, private=any(changes.get(name) for name in secrets))

    def remove(self, provider_id: str, scope: Scope = "project") -> Path:
        """Remove a profile from the file. The embedded fallback is in no file: removing it
        writes `fallback_to_local: false` there instead (see `removes_fallback`)."""
        fallback = self.removes_fallback(provider_id)
        if fallback and len(self.profiles()) == 1:
            raise ConfigError(
                f"{provider_id!r} is the embedded model and the only provider; add another one first "
                "(chi-llm providers add)",
                key="providers",
            )

        def drop(values: dict[str, Any]) -> None:
            listed = values.get("providers") or []
            if fallback:
                values["fallback_to_local"] = False
                return
            if not any(p.get("id") == provider_id for p in listed):
                raise ConfigError(f"no provider profile {provider_id!r} in this file", key="providers")
            values["providers"] = [p for p in listed if p.get("id") != provider_id]
            if values.get("default_provider") == provider_id:
                del values["default_provider"]

        return self._config.update(drop, scope)

    def removes_fallback(self, provider_id: str) -> bool:
        """Whether `provider_id` is the embedded fallback, which only a setting turns off."""
        return any(p.id == provider_id and p.fallback for p in self.profiles())


def bounded(profile: ProviderProfile, schema: ProviderSchema, seconds: float) -> ProviderProfile:
    """The profile with its timeouts capped at `seconds` and no retries (where its type has them)."""
    names = {f.name for f in schema.fields}
    caps = {"connect_timeout": seconds, "read_timeout": seconds, "total_timeout": seconds}
    changed: dict[str, Any] = {k: min(float(profile.settings.get(k) or v), v) for k, v in caps.items() if k in names}
    if "max_retries" in names:
        changed["max_retries"] = 0
    return replace(profile, settings={**profile.settings, **changed})


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
