"""Turning configuration into provider profiles and profiles into adapters (concrete classes live here)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chi_llm.domain.errors import MissingCredentials
from chi_llm.domain.ports import TextGenerator
from chi_llm.domain.providers import LOCAL_ID, PROVIDER_TYPES, SCHEMAS, ProviderProfile, check_profile
from chi_llm.domain.settings import Settings

KEY_VARIABLES = {
    "openai": ("CHI_LLM_OPENAI_API_KEY", "OPENAI_API_KEY"),
    "anthropic": ("CHI_LLM_ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY"),
    "gemini": ("CHI_LLM_GEMINI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"),
}
OPENAI_DEFAULT = "https://api.openai.com/v1"


def defaults(kind: str) -> dict[str, Any]:
    return {f.name: f.default for f in SCHEMAS[kind] if f.default is not None}


def configured_profiles(settings: Settings) -> list[ProviderProfile]:
    """`providers:` if any; else the single `provider:` mapping; else the implicit local profile."""
    listed = settings["providers"] or []
    if listed:
        return [check_profile(entry, source="providers") for entry in listed]
    single = dict(settings["provider"])
    kind = single.pop("type", "local")
    return [ProviderProfile(id=LOCAL_ID if kind == "local" else kind, type=kind, settings=single)]


def adhoc_profile(provider: str | Mapping[str, Any], profiles: list[ProviderProfile]) -> ProviderProfile | None:
    """`MicroLLM(provider=...)`: a configured id, else a provider type with its defaults, or a mapping."""
    if isinstance(provider, Mapping):
        raw = dict(provider)
        return check_profile({"id": raw.get("id", raw.get("type", "local")), **raw}, source="argument")
    if any(p.id == provider for p in profiles):
        return None
    if provider in PROVIDER_TYPES:
        return ProviderProfile(id=provider, type=provider)
    return None  # unknown: the router reports the configured ids


def api_key(profile: ProviderProfile, env: Mapping[str, str]) -> str | None:
    key = profile.settings.get("api_key")
    if key:
        return str(key)
    return next((env[v] for v in KEY_VARIABLES.get(profile.type, ()) if env.get(v)), None)


def build_http(profile: ProviderProfile, env: Mapping[str, str], model: str | None, context: int | None) -> Any:
    from chi_llm.adapters.http.transport import HttpTransport

    s = {**defaults(profile.type), **{k: v for k, v in profile.settings.items() if v is not None}}
    key = api_key(profile, env)
    kind = profile.type
    headers: dict[str, str] = {}
    if kind == "openai":
        if key:
            headers["Authorization"] = f"Bearer {key}"
        elif str(s["base_url"]).rstrip("/") == OPENAI_DEFAULT:
            raise MissingCredentials(
                f"the OpenAI API needs a key: set OPENAI_API_KEY (or api_key in the provider profile {profile.id!r})",
                backend="openai",
            )
    elif kind == "anthropic":
        if not key:
            raise MissingCredentials(
                f"set ANTHROPIC_API_KEY (or api_key in the provider profile {profile.id!r})", backend="anthropic"
            )
        headers.update({"x-api-key": key, "anthropic-version": str(s["version"])})
    elif kind == "gemini":
        if not key:
            raise MissingCredentials(
                f"set GEMINI_API_KEY (or api_key in the provider profile {profile.id!r})", backend="gemini"
            )
        headers["x-goog-api-key"] = key
    ctx = s.get("context") or context
    transport = HttpTransport(
        backend=kind,
        base_url=str(s["base_url"]),
        headers=headers,
        connect_timeout=float(s["connect_timeout"]),
        read_timeout=float(s["read_timeout"]),
        max_retries=int(s["max_retries"]),
        context=ctx,
    )
    from chi_llm.adapters.anthropic import AnthropicGenerator
    from chi_llm.adapters.gemini import GeminiGenerator
    from chi_llm.adapters.lmstudio import LMStudioGenerator
    from chi_llm.adapters.ollama import OllamaGenerator
    from chi_llm.adapters.openai_compatible import OpenAICompatibleGenerator

    classes: dict[str, Any] = {
        "openai": OpenAICompatibleGenerator,
        "lmstudio": LMStudioGenerator,
        "ollama": OllamaGenerator,
        "anthropic": AnthropicGenerator,
        "gemini": GeminiGenerator,
    }
    return classes[kind](transport, model=s.get("model") or model, context=ctx)


def make_builder(
    settings: Settings, env: Mapping[str, str], local: Callable[..., TextGenerator], fake: Callable[..., TextGenerator]
) -> Callable[[ProviderProfile], TextGenerator]:
    """profile -> adapter. An explicitly chosen `model` (not the default) also applies to remote profiles."""
    model_setting = settings.values["model"]
    explicit_model = None if model_setting.source == "default" else str(model_setting.value)
    context = settings["context"] if settings.values["context"].source != "default" else None

    def build(profile: ProviderProfile) -> TextGenerator:
        s = profile.settings
        if profile.type == "local":
            overrides = {k: s[k] for k in ("context", "threads", "gpu_layers") if s.get(k) is not None}
            if s.get("model"):
                overrides["default_model"] = s["model"]
            return local(**overrides)
        if profile.type == "fake":
            return fake(provider=dict(s))
        return build_http(profile, env, explicit_model, context)  # type: ignore[no-any-return]

    return build
