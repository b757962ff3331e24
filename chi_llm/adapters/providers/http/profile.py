"""From a validated HTTP provider profile to its transport: base URL, timeouts, retries, API key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chi_llm.adapters.providers.http.transport import HttpTransport
from chi_llm.adapters.providers.provider_type import BuildContext, with_defaults
from chi_llm.domain.errors import MissingCredentials
from chi_llm.domain.providers import ProviderProfile, ProviderSchema


def api_key(profile: ProviderProfile, schema: ProviderSchema, env: Mapping[str, str]) -> str | None:
    """The profile's `api_key`, else the first of the type's key variables that is set."""
    key = profile.settings.get("api_key")
    if key:
        return str(key)
    return next((env[v] for v in schema.key_variables if env.get(v)), None)


def required_key(profile: ProviderProfile, schema: ProviderSchema, env: Mapping[str, str]) -> str:
    key = api_key(profile, schema, env)
    if not key:
        variable = next((v for v in schema.key_variables if not v.startswith("CHI_LLM_")), "its key variable")
        raise MissingCredentials(
            f"{schema.type} needs an API key: set {variable} (or api_key in the provider profile {profile.id!r}, "
            "with `chi-llm providers set ID --api-key-stdin`)",
            backend=schema.type,
        )
    return key


def transport(
    profile: ProviderProfile, schema: ProviderSchema, ctx: BuildContext, headers: dict[str, str] | None = None
) -> tuple[HttpTransport, dict[str, Any]]:
    """The profile's transport and its settings with defaults filled in."""
    settings = with_defaults(profile, schema)
    built = HttpTransport(
        backend=schema.type,
        base_url=str(settings["base_url"]),
        headers=headers or {},
        connect_timeout=float(settings["connect_timeout"]),
        read_timeout=float(settings["read_timeout"]),
        max_retries=int(settings["max_retries"]),
        total_timeout=float(settings["total_timeout"]),
        context=settings.get("context") or ctx.context,
        secrets=tuple(key for key in (profile.settings.get("api_key"), api_key(profile, schema, ctx.env)) if key),
    )
    return built, settings
