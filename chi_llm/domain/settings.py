"""The configuration keys, their types and checks, and the resolved settings."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chi_llm.domain.errors import ConfigError
from chi_llm.domain.providers import PROVIDER_TYPES, check_profile


def _int(minimum: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, str) and value.strip().lstrip("-").isdigit():
                value = int(value)
            else:
                raise ValueError(f"must be a whole number, got {value!r}")
        if value < minimum:
            raise ValueError(f"must be at least {minimum}, got {value}")
        return int(value)

    return check


def _float(low: float, high: float, *, open_low: bool = False) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool):
            raise ValueError(f"must be a number, got {value!r}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"must be a number, got {value!r}") from None
        if number < low or number > high or (open_low and number == low):
            bracket = "(" if open_low else "["
            raise ValueError(f"must be in {bracket}{low}, {high}], got {number}")
        return number

    return check


def _str(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be non-empty text, got {value!r}")
    return value


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        return value.lower() in ("1", "true", "yes", "on")
    raise ValueError(f"must be true or false, got {value!r}")


def _optional_int(value: Any) -> int | None:
    return None if value is None else _int(0)(value)


def _model_entries(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(e, Mapping) and isinstance(e.get("id"), str) for e in value):
        raise ValueError("must be a list of model entries, each a mapping with an 'id'")
    return [dict(e) for e in value]


def _paths(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(p, str) and p.strip() for p in value):
        raise ValueError("must be a list of folder paths")
    return list(value)


def _provider(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"must be a mapping such as {{type: local}}, got {value!r}")
    kind = value.get("type", "local")
    if kind not in PROVIDER_TYPES:
        raise ValueError(f"type must be one of {', '.join(PROVIDER_TYPES)}, got {kind!r}")
    try:
        profile = check_profile({**value, "id": kind, "type": kind}, source="provider")
    except ConfigError as exc:
        raise ValueError(exc.detail) from None
    return {"type": kind, **profile.settings}


def _profiles(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise ValueError("must be a list of provider profiles ({id, type, settings, tags, priority})")
    seen: set[str] = set()
    out = []
    for raw in value:
        try:
            profile = check_profile(raw, source="providers")
        except ConfigError as exc:
            raise ValueError(f"{exc.key}: {exc.detail}") from None
        if profile.id in seen:
            raise ValueError(f"duplicate provider id {profile.id!r}")
        seen.add(profile.id)
        out.append(
            {
                "id": profile.id,
                "type": profile.type,
                "settings": dict(profile.settings),
                "tags": list(profile.tags),
                "priority": profile.priority,
            }
        )
    return out


@dataclass(frozen=True, slots=True)
class Key:
    """One documented configuration key."""

    name: str
    check: Callable[[Any], Any]
    default: Any
    help: str


KEYS: dict[str, Key] = {
    k.name: k
    for k in (
        Key("model", _str, "smollm2-135m", "catalog id or path to a .gguf file"),
        Key("context", _int(16), 4096, "context window in tokens (capped by the model's trained context)"),
        Key("max_tokens", _int(1), 512, "most tokens to generate per call"),
        Key("temperature", _float(0.0, 2.0), 0.7, "sampling temperature, 0 to 2"),
        Key("top_p", _float(0.0, 1.0, open_low=True), 0.95, "nucleus sampling, in (0, 1]"),
        Key("seed", _optional_int, None, "random seed for reproducible sampling (none = random)"),
        Key("system", _str, None, "default system prompt"),
        Key("cache_dir", _str, None, "where models are stored (default: CHI_LLM_HOME or ~/.cache/chi_llm)"),
        Key("threads", _int(1), None, "CPU threads for llama.cpp (default: physical cores)"),
        Key("gpu_layers", _int(-1), None, "layers offloaded to the GPU, -1 = all (default: all if supported)"),
        Key("provider", _provider, {"type": "local"}, "a single provider: {type: ..., settings...}"),
        Key("providers", _profiles, None, "provider profiles: [{id, type, settings, tags, priority}]"),
        Key("default_provider", _str, None, "id of the provider profile tried first"),
        Key("models", _model_entries, None, "extra or overriding catalog entries (same fields as models.yaml)"),
        Key("gguf_paths", _paths, None, "folders scanned for .gguf files to list and load"),
        Key("allow_oversize", _bool, False, "load models even when they do not fit in available memory"),
    )
}


def check_value(key: str, value: Any, *, source: str) -> Any:
    """Validate one value for `key`, raising ConfigError that names the source and key."""
    spec = KEYS.get(key)
    if spec is None:
        raise ConfigError(f"unknown key; known keys are {', '.join(KEYS)}", source=source, key=key)
    if value is None and spec.default is None:
        return None  # optional keys may be set to null, meaning "not set"
    try:
        return spec.check(value)
    except ValueError as exc:
        raise ConfigError(str(exc), source=source, key=key) from None


@dataclass(frozen=True, slots=True, kw_only=True)
class Setting:
    """An effective value and the source that set it."""

    key: str
    value: Any
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Resolved configuration with the provenance of every key."""

    values: Mapping[str, Setting]

    def __getitem__(self, key: str) -> Any:
        return self.values[key].value

    def explain(self) -> list[Setting]:
        return [self.values[key] for key in KEYS]
