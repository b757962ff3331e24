"""Provider types' settings schemas, validated provider profiles, and which model a profile uses.

Each provider adapter module declares its `ProviderSchema`; the registry of provider types
(adapters/providers/registry.py) hands the schemas to the configuration service, so a profile is validated
once, against its own type's fields, when settings are resolved.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from chi_llm.domain.errors import ConfigError
from chi_llm.domain.results import JsonResult

LOCAL_ID = "local"
FIELD_TYPES: dict[str, Any] = {
    "string": str,
    "url": str,
    "secret": str,
    "enum": str,
    "int": int,
    "float": (int, float),
    "bool": bool,
}
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderField(JsonResult):
    """One setting of a provider type, as the CLI and the TUI's forms show it."""

    name: str
    type: str  # string, url, int, float, bool, secret, enum, list
    required: bool = False
    default: Any = None
    help: str = ""
    options: tuple[str, ...] = ()
    minimum: float | None = None  # numbers: the smallest value allowed
    maximum: float | None = None

    def read(self, value: Any) -> Any:
        """`value` as this field's type, within its bounds. Text (environment variables, CLI)
        becomes a number or a boolean where the field wants one; anything else is refused."""
        if value is None:
            return value
        value = self._typed(value)
        if self.options and value not in self.options:
            raise ValueError(f"setting {self.name!r} must be one of {', '.join(self.options)}, got {value!r}")
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"setting {self.name!r} must be at least {self.minimum:g}, got {value!r}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"setting {self.name!r} must be at most {self.maximum:g}, got {value!r}")
        if self.type == "url":
            _check_url(self.name, value)
        return value

    def _typed(self, value: Any) -> Any:
        if self.type == "list":
            value = [value] if isinstance(value, str) else value
            if not (isinstance(value, list) and all(isinstance(v, (str, Mapping)) for v in value)):
                raise ValueError(f"setting {self.name!r} must be a list of texts (or mappings), got {value!r}")
            return value
        if isinstance(value, str) and self.type in ("int", "float", "bool"):
            value = _from_text(value, self.type)
        wrong_number = self.type in ("int", "float") and isinstance(value, bool)
        if not isinstance(value, FIELD_TYPES[self.type]) or wrong_number:
            raise ValueError(f"setting {self.name!r} must be {self.type}, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"setting {self.name!r} must be a finite number, got {value!r}")
        return value


def _check_url(name: str, value: str) -> None:
    """An http(s) URL with a host (and a valid port), as a server's root."""
    try:
        parsed = urlsplit(value)
        port_ok = parsed.port is None or 0 < parsed.port < 65536
    except ValueError:
        parsed, port_ok = None, False
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.hostname or not port_ok:
        raise ValueError(f"setting {name!r} must be an http:// or https:// URL with a host, got {value!r}")


def _from_text(value: str, kind: str) -> Any:
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
    except ValueError:
        return value
    if kind == "bool" and value.lower() in (*_TRUE, *_FALSE):
        return value.lower() in _TRUE
    return value


HTTP_FIELDS = (
    ProviderField(
        name="connect_timeout", type="float", default=5.0, minimum=0.1, help="seconds to wait for a connection"
    ),
    ProviderField(
        name="read_timeout", type="float", default=120.0, minimum=0.1, help="seconds to wait between streamed pieces"
    ),
    ProviderField(
        name="total_timeout",
        type="float",
        default=600.0,
        minimum=1.0,
        help="most seconds one request may take in all (a server trickling forever is cut off)",
    ),
    ProviderField(
        name="max_retries",
        type="int",
        default=3,
        minimum=0,
        maximum=10,
        help="retries on 429 and 5xx answers (exponential backoff, jitter)",
    ),
    ProviderField(
        name="context", type="int", minimum=16, help="the model's context window, used for truncation and checks"
    ),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderSchema(JsonResult):
    """What a provider type is configured with. `key_variables`: environment variables that
    hold its API key, first set wins (after the profile's own `api_key`)."""

    type: str
    summary: str
    fields: tuple[ProviderField, ...]
    key_variables: tuple[str, ...] = ()

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset(f.name for f in self.fields if f.type == "secret")

    def defaults(self) -> dict[str, Any]:
        return {f.name: f.default for f in self.fields if f.default is not None}


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderProfile(JsonResult):
    """A configured provider, validated against its type's schema: id, type, settings, tags and
    priority (lower goes first). `secrets` names the settings that must never be shown.
    `fallback`: the embedded model added as the last resort (see `EMBEDDED_FALLBACK`), never
    read from or written to a file."""

    id: str
    type: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    priority: int = 100
    secrets: frozenset[str] = frozenset()
    fallback: bool = False

    def public_settings(self) -> dict[str, Any]:
        """Settings with every secret replaced by whether it is set."""
        return {k: (bool(v) if k in self.secrets else v) for k, v in self.settings.items()}

    def public(self) -> dict[str, Any]:
        """The profile as every output shows it: secrets only as set / not set."""
        return {
            "id": self.id,
            "type": self.type,
            "tags": list(self.tags),
            "priority": self.priority,
            "settings": self.public_settings(),
        }

    def json_fields(self) -> Mapping[str, Any]:
        return self.public()

    def entry(self) -> dict[str, Any]:
        """The profile as a configuration file stores it (secrets included: files are the user's)."""
        out: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.tags:
            out["tags"] = list(self.tags)
        if self.priority != 100:
            out["priority"] = self.priority
        if self.settings:
            out["settings"] = dict(self.settings)
        return out

    def single(self) -> dict[str, Any]:
        """The profile as the one-provider `provider:` key stores it."""
        return {"type": self.type, **self.settings}


Schemas = Mapping[str, ProviderSchema]

# The embedded model (llama.cpp on the configured `model`, by default the embedded SmolLM2): tried
# after the configured providers unless `fallback_to_local` is off or they include a local one.
EMBEDDED_FALLBACK = ProviderProfile(id=LOCAL_ID, type="local", fallback=True)


def check_profile(raw: Any, schemas: Schemas, *, source: str, key: str | None = None) -> ProviderProfile:
    """Validate one profile. Settings may sit under `settings:` or beside id/type/tags/priority.
    Errors name `key` (default: `providers[ID]`)."""
    if not isinstance(raw, Mapping):
        raise ConfigError("each provider profile must be a mapping", source=source, key=key or "providers")
    profile_id = raw.get("id")
    kind = raw.get("type")
    key = key or (f"providers[{profile_id}]" if profile_id else "providers")
    if not isinstance(profile_id, str) or not profile_id.strip():
        raise ConfigError("each provider profile needs a text 'id'", source=source, key=key)
    schema = schemas.get(kind) if isinstance(kind, str) else None
    if schema is None:
        raise ConfigError(f"type must be one of {', '.join(schemas)}, got {kind!r}", source=source, key=key)
    settings = _settings(raw, schema, source=source, key=key)
    tags = raw.get("tags") or ()
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",") if t.strip()]
    if not isinstance(tags, (list, tuple)) or not all(isinstance(t, str) for t in tags):
        raise ConfigError("tags must be a list of text", source=source, key=key)
    priority = raw.get("priority", 100)
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise ConfigError(f"priority must be a whole number, got {priority!r}", source=source, key=key)
    return ProviderProfile(
        id=profile_id, type=schema.type, settings=settings, tags=tuple(tags), priority=priority, secrets=schema.secrets
    )


def _settings(raw: Mapping[str, Any], schema: ProviderSchema, *, source: str, key: str) -> dict[str, Any]:
    """The profile's settings (under `settings:` or beside id/type), each read as its field's type."""
    nested = raw.get("settings") or {}
    if not isinstance(nested, Mapping):
        raise ConfigError("settings must be a mapping", source=source, key=key)
    settings = {k: v for k, v in raw.items() if k not in ("id", "type", "tags", "priority", "settings")}
    settings.update(nested)
    fields = {f.name: f for f in schema.fields}
    for name, value in list(settings.items()):
        spec = fields.get(name)
        if spec is None:
            known = ", ".join(fields)
            message = f"unknown setting {name!r} for a {schema.type} provider; known: {known}"
            raise ConfigError(message, source=source, key=key)
        try:
            settings[name] = spec.read(value)
        except ValueError as exc:
            raise ConfigError(str(exc), source=source, key=key) from None
    return settings


def model_for(profile: ProviderProfile, *, argument: str | None, configured: str | None) -> str | None:
    """The model a profile generates with — the one precedence rule:

    a model given as an argument (`MicroLLM(model=...)`, `--model`) > the profile's own `model`
    setting > the configured `model` key (`configured`: None when it is only the built-in default
    and the profile is remote, whose servers do not know the local catalog's ids).
    """
    own = profile.settings.get("model")
    return argument or (str(own) if own else None) or configured
