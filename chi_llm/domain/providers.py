"""Provider profiles, the fields each provider type takes, and connection reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chi_llm.domain.errors import ConfigError

LOCAL_ID = "local"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderField:
    """One setting of a provider type, as the CLI and the TUI's forms show it."""

    name: str
    type: str  # string, int, float, bool, secret, enum
    required: bool = False
    default: Any = None
    help: str = ""
    options: tuple[str, ...] = ()


def _f(
    name: str, kind: str, help_: str, default: Any = None, *, required: bool = False, options: tuple[str, ...] = ()
) -> ProviderField:
    return ProviderField(name=name, type=kind, required=required, default=default, help=help_, options=options)


_TIMEOUTS = (
    _f("connect_timeout", "float", "seconds to wait for a connection", 5.0),
    _f("read_timeout", "float", "seconds to wait between streamed pieces", 120.0),
    _f("max_retries", "int", "retries on 429 and 5xx answers (exponential backoff with jitter)", 3),
    _f("context", "int", "the model's context window, used for truncation and checks", None),
)
_MODEL = _f("model", "string", "model name as the server knows it", None)

SCHEMAS: dict[str, tuple[ProviderField, ...]] = {
    "local": (
        _f("model", "string", "catalog id, inventory id or .gguf path (default: the configured model)"),
        _f("context", "int", "context window (capped by the model's trained context)"),
        _f("threads", "int", "CPU threads (default: physical cores)"),
        _f("gpu_layers", "int", "layers offloaded to the GPU, -1 = all"),
    ),
    "fake": (
        _f("replies", "string", "scripted replies (a list in configuration files)"),
        _f("token_delay", "float", "seconds per produced token", 0.0),
        _f("context", "int", "context window in words", 4096),
    ),
    "openai": (
        _f(
            "base_url",
            "string",
            "API root including /v1 (OpenAI, Groq, OpenRouter, vLLM, llama.cpp server...)",
            "https://api.openai.com/v1",
        ),
        _f("api_key", "secret", "API key (or OPENAI_API_KEY / CHI_LLM_OPENAI_API_KEY)"),
        _MODEL,
        *_TIMEOUTS,
    ),
    "lmstudio": (
        _f("base_url", "string", "LM Studio server root", "http://127.0.0.1:1234"),
        _MODEL,
        *_TIMEOUTS,
    ),
    "ollama": (
        _f("base_url", "string", "Ollama server root", "http://127.0.0.1:11434"),
        _MODEL,
        *_TIMEOUTS,
    ),
    "anthropic": (
        _f("base_url", "string", "API root", "https://api.anthropic.com"),
        _f("api_key", "secret", "API key (or ANTHROPIC_API_KEY / CHI_LLM_ANTHROPIC_API_KEY)"),
        _f("model", "string", "model name, e.g. claude-sonnet-4-5", None, required=True),
        _f("version", "string", "anthropic-version header", "2023-06-01"),
        *_TIMEOUTS,
    ),
    "gemini": (
        _f("base_url", "string", "API root", "https://generativelanguage.googleapis.com"),
        _f("api_key", "secret", "API key (or GEMINI_API_KEY / GOOGLE_API_KEY)"),
        _f("model", "string", "model name, e.g. gemini-2.5-flash", None, required=True),
        *_TIMEOUTS,
    ),
}
PROVIDER_TYPES = tuple(SCHEMAS)
_KINDS: dict[str, Any] = {"string": str, "secret": str, "enum": str, "int": int, "float": (int, float), "bool": bool}


def _from_text(value: Any, kind: str) -> Any:
    """Environment variables arrive as text: read numbers and booleans for the fields that want them."""
    if not isinstance(value, str):
        return value
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
    except ValueError:
        return value
    if kind == "bool" and value.lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        return value.lower() in ("1", "true", "yes", "on")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderProfile:
    """A configured provider: its id, type, settings, tags and priority (lower goes first)."""

    id: str
    type: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    priority: int = 100

    def public_settings(self) -> dict[str, Any]:
        """Settings with every secret replaced by whether it is set."""
        secret = {f.name for f in SCHEMAS.get(self.type, ()) if f.type == "secret"}
        return {k: (bool(v) if k in secret else v) for k, v in self.settings.items()}


def check_profile(raw: Mapping[str, Any], *, source: str) -> ProviderProfile:
    """Validate one profile. Settings may sit under `settings:` or beside id/type/tags/priority."""
    if not isinstance(raw, Mapping):
        raise ConfigError("each provider profile must be a mapping", source=source, key="providers")
    profile_id = raw.get("id")
    kind = raw.get("type")
    key = f"providers[{profile_id}]" if profile_id else "providers"
    if not isinstance(profile_id, str) or not profile_id.strip():
        raise ConfigError("each provider profile needs a text 'id'", source=source, key=key)
    if kind not in SCHEMAS:
        raise ConfigError(f"type must be one of {', '.join(PROVIDER_TYPES)}, got {kind!r}", source=source, key=key)
    nested = raw.get("settings") or {}
    if not isinstance(nested, Mapping):
        raise ConfigError("settings must be a mapping", source=source, key=key)
    settings = {k: v for k, v in raw.items() if k not in ("id", "type", "tags", "priority", "settings")}
    settings.update(nested)
    fields = {f.name: f for f in SCHEMAS[kind]}
    for name, value in list(settings.items()):
        spec = fields.get(name)
        if spec is None:
            raise ConfigError(
                f"unknown setting {name!r} for a {kind} provider; known: {', '.join(fields)}", source=source, key=key
            )
        settings[name] = value = _from_text(value, spec.type)
        expected = _KINDS[spec.type]
        if (
            value is not None
            and name != "replies"
            and (not isinstance(value, expected) or (spec.type in ("int", "float") and isinstance(value, bool)))
        ):
            raise ConfigError(f"setting {name!r} must be {spec.type}, got {value!r}", source=source, key=key)
    tags = raw.get("tags") or ()
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",") if t.strip()]
    if not isinstance(tags, (list, tuple)) or not all(isinstance(t, str) for t in tags):
        raise ConfigError("tags must be a list of text", source=source, key=key)
    priority = raw.get("priority", 100)
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise ConfigError(f"priority must be a whole number, got {priority!r}", source=source, key=key)
    return ProviderProfile(id=profile_id, type=str(kind), settings=settings, tags=tuple(tags), priority=priority)


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionReport:
    """The result of testing a provider: an unreachable server is never ok."""

    ok: bool
    status: str  # "ok", "unreachable", "unauthorized", "error", "not_found"
    latency_ms: float | None
    message: str
