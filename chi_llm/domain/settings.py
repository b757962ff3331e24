"""The configuration keys, their types and checks, and the resolved settings."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chi_llm.domain.config_limits import MAX_ITEMS, MAX_SYSTEM, MAX_TEXT
from chi_llm.domain.errors import ConfigError
from chi_llm.domain.generation import DEFAULT_CONTEXT, DEFAULT_MAX_TOKENS
from chi_llm.domain.providers import LOCAL_ID, ProviderProfile, Schemas, check_profile
from chi_llm.domain.setting_rules import existing_folder, folder_if_present


def _int(minimum: int, maximum: int = 2**31 - 1) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            text = value.strip() if isinstance(value, str) else ""
            if 0 < len(text) <= 40 and text.lstrip("-").isdigit():
                value = int(text)
            else:
                raise ValueError(f"must be a whole number, got {_shown(value)}")
        if value < minimum:
            raise ValueError(f"must be at least {minimum}, got {_shown(value)}")
        if value > maximum:
            raise ValueError(f"must be at most {maximum}, got {_shown(value)}")
        return int(value)

    return check


def _shown(value: Any) -> str:
    """A value as an error quotes it: a long one cut short (a huge number is not even printed)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**40:
        return "a number of more than 40 digits"
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}... ({len(text)} characters)"


def _float(low: float, high: float, *, open_low: bool = False) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool):
            raise ValueError(f"must be a number, got {_shown(value)}")
        if isinstance(value, str) and len(value) > 40:
            raise ValueError(f"must be a number, got {_shown(value)}")
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"must be a number, got {_shown(value)}") from None
        if not math.isfinite(number):
            raise ValueError(f"must be a finite number, got {_shown(value)}")
        if number < low or number > high or (open_low and number == low):
            bracket = "(" if open_low else "["
            raise ValueError(f"must be in {bracket}{low}, {high}], got {number}")
        return number

    return check


def _text(limit: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"must be non-empty text, got {_shown(value)}")
        if len(value) > limit:
            raise ValueError(f"must be at most {limit} characters, got {len(value)}")
        return value

    return check


_str = _text(MAX_TEXT)


def _folder(value: Any) -> str:
    """An absolute folder path (`~` allowed): a relative or garbled one would silently put
    models wherever the command happens to run."""
    text = _str(value)
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValueError(f"must be a folder path without control characters, got {_shown(value)}")
    if not (text.startswith("/") or text.startswith("~") or (len(text) > 2 and text[1] == ":")):
        raise ValueError(f"must be an absolute folder path (or start with ~), got {_shown(value)}")
    if text.startswith("~") and os.path.expanduser(text) == text:
        raise ValueError(f"names the home folder of a user this machine does not have, got {_shown(value)}")
    return text


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        return value.lower() in ("1", "true", "yes", "on")
    raise ValueError(f"must be true or false, got {_shown(value)}")


def _optional_int(value: Any) -> int | None:
    return None if value is None else _int(0, 2**63 - 1)(value)


def _model_entries(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(e, Mapping) and isinstance(e.get("id"), str) for e in value):
        raise ValueError("must be a list of model entries, each a mapping with an 'id'")
    _count(value)
    return [dict(e) for e in value]


def _paths(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(p, str) and p.strip() for p in value):
        raise ValueError(f"must be a list of absolute folder paths, got {_shown(value)}")
    _count(value)
    return [_folder(p) for p in value]


def _count(value: list[Any]) -> None:
    if len(value) > MAX_ITEMS:
        raise ValueError(f"must hold at most {MAX_ITEMS} entries, got {len(value)}")


def _provider(value: Any, schemas: Schemas, source: str) -> ProviderProfile:
    if isinstance(value, ProviderProfile):
        return value
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"must be a mapping such as {{type: local}}, got {_shown(value)}", source=source, key="provider"
        )
    kind = value.get("type", "local")
    raw = {**value, "id": LOCAL_ID if kind == "local" else kind, "type": kind}
    return check_profile(raw, schemas, source=source, key="provider")


def _profiles(value: Any, schemas: Schemas, source: str) -> tuple[ProviderProfile, ...]:
    if not isinstance(value, (list, tuple)):
        raise ConfigError(
            "must be a list of provider profiles ({id, type, settings, tags, priority})", source=source, key="providers"
        )
    if len(value) > MAX_ITEMS:
        raise ConfigError(f"must hold at most {MAX_ITEMS} profiles, got {len(value)}", source=source, key="providers")
    seen: set[str] = set()
    out = []
    for raw in value:
        profile = raw if isinstance(raw, ProviderProfile) else check_profile(raw, schemas, source=source)
        if profile.id in seen:
            raise ConfigError(f"duplicate provider id {profile.id!r}", source=source, key="providers")
        seen.add(profile.id)
        out.append(profile)
    return tuple(out)


def _rag(value: Any) -> Any:
    from chi_llm.domain.rag import check_rag  # RAG's own module: not loaded for a generation

    return check_rag(value)


def _checked_elsewhere(value: Any) -> Any:  # provider keys: validated with the provider schemas
    return value


@dataclass(frozen=True, slots=True)
class Key:
    """One documented configuration key."""

    name: str
    check: Callable[[Any], Any]
    default: Any
    help: str
    on_disk: Callable[[str], None] | None = None  # see setting_rules: applied on write and on use


PROJECT_FILE_NAMES = (".chi_llm.json", ".chi_llm.yaml", ".chi_llm.yml")  # first found wins, nearest folder first
KEYS: dict[str, Key] = {
    k.name: k
    for k in (
        Key("model", _str, "smollm2-135m", "catalog id or path to a .gguf file"),
        Key("context", _int(16), DEFAULT_CONTEXT, "context window in tokens (capped by the model's trained context)"),
        Key("max_tokens", _int(1), DEFAULT_MAX_TOKENS, "most tokens to generate per call"),
        Key(
            "temperature",
            _float(0.0, 2.0),
            None,
            "sampling temperature, 0 to 2 (none = the model's recommended; 0.7 locally without one)",
        ),
        Key(
            "top_p",
            _float(0.0, 1.0, open_low=True),
            None,
            "nucleus sampling, in (0, 1] (none = the model's recommended; 0.95 locally without one)",
        ),
        Key("seed", _optional_int, None, "random seed for reproducible sampling (none = random)"),
        Key("system", _text(MAX_SYSTEM), None, f"default system prompt (at most {MAX_SYSTEM} characters)"),
        Key(
            "cache_dir",
            _folder,
            None,
            "where models are stored (default: CHI_LLM_HOME or ~/.cache/chi_llm)",
            folder_if_present,
        ),
        Key("threads", _int(1), None, "CPU threads for llama.cpp (default: physical cores)"),
        Key("gpu_layers", _int(-1), None, "layers offloaded to the GPU, -1 = all (default: all if supported)"),
        Key("provider", _checked_elsewhere, {"type": "local"}, "a single provider: {type: ..., settings...}"),
        Key("providers", _checked_elsewhere, None, "provider profiles: [{id, type, settings, tags, priority}]"),
        Key("default_provider", _str, None, "id of the provider profile tried first"),
        Key("models", _model_entries, None, "extra or overriding catalog entries (same fields as models.yaml)"),
        Key("gguf_paths", _paths, None, "folders scanned for .gguf files to list and load"),
        Key("allow_oversize", _bool, False, "load models even when they do not fit in available memory"),
        Key(
            "templates_dir",
            _folder,
            None,
            "a folder of your own prompt templates (*.yaml), beside the built-in ones",
            existing_folder,
        ),
        Key("rag", _rag, None, "knowledge base settings: {db, name, embedding_model, chunk_size, top_k, mode, ...}"),
    )
}


def check_value(key: str, value: Any, *, source: str, schemas: Schemas) -> Any:
    """Validate one value for `key`, raising ConfigError that names the source and key. Provider
    profiles are checked against `schemas` (the provider types' settings) and become typed."""
    spec = KEYS.get(key)
    if spec is None:
        raise ConfigError(f"unknown key; known keys are {', '.join(KEYS)}", source=source, key=key)
    if value is None and spec.default is None:
        return None  # optional keys may be set to null, meaning "not set"
    if key == "provider":
        return _provider(value, schemas, source)
    if key == "providers":
        return _profiles(value, schemas, source)
    try:
        return spec.check(value)
    except ValueError as exc:
        raise ConfigError(str(exc), source=source, key=key) from None


def check_on_disk(key: str, value: Any, *, source: str | None = None) -> None:
    """The disk rule of `key` (see setting_rules), if it has one and a value is set: ConfigError
    naming the source and key otherwise."""
    spec = KEYS.get(key)
    if spec is None or spec.on_disk is None or value is None:
        return
    try:
        spec.on_disk(str(value))
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

    @classmethod
    def defaults(cls) -> Settings:
        """Every key at its default (what is used when the configuration cannot be read)."""
        return cls(values={k: Setting(key=k, value=v.default, source="default") for k, v in KEYS.items()})

    def __getitem__(self, key: str) -> Any:
        return self.values[key].value

    def explain(self) -> list[Setting]:
        return [self.values[key] for key in KEYS]

    def source(self, key: str) -> str:
        return self.values[key].source

    def is_set(self, key: str) -> bool:
        """True when a user set `key` (anywhere), not only the built-in default."""
        return self.values[key].source != "default"

    def profiles(self) -> list[ProviderProfile]:
        """`providers:` if any; else the single `provider:` profile (by default: local llama.cpp)."""
        listed: tuple[ProviderProfile, ...] | None = self["providers"]
        return list(listed) if listed else [self["provider"]]

    def public(self, *, explain: bool = False) -> dict[str, Any]:
        """Every key's value as outputs show it, secrets only as set / not set; with `explain`,
        each as {value, source}. The one view that `config show`, the bridge and the server use."""
        shown = {s.key: public_value(s.value) for s in self.explain()}
        if explain:
            return {s.key: {"value": shown[s.key], "source": s.source} for s in self.explain()}
        return shown


def public_value(value: Any) -> Any:
    if isinstance(value, ProviderProfile):
        return {"type": value.type, **value.public_settings()}
    if isinstance(value, tuple) and all(isinstance(v, ProviderProfile) for v in value):
        return [v.public() for v in value]
    if isinstance(value, Mapping) and isinstance(value.get("storage_options"), Mapping):  # rag
        options = value["storage_options"]
        return {**value, "storage_options": {k: (bool(v) if _secret_name(k) else v) for k, v in options.items()}}
    return value


def _secret_name(name: str) -> bool:
    """Object-storage options that hold credentials (shown only as set / not set)."""
    return any(word in name.lower() for word in ("secret", "key", "token", "password", "credential"))
