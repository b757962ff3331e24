"""The configuration keys, their types and checks, and the resolved settings."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chi_llm.domain.config_limits import MAX_PARALLEL, MAX_SYSTEM
from chi_llm.domain.errors import ConfigError
from chi_llm.domain.generation import DEFAULT_CONTEXT, DEFAULT_MAX_TOKENS, DEFAULT_PARALLEL
from chi_llm.domain.providers import EMBEDDED_FALLBACK, ProviderProfile, Schemas
from chi_llm.domain.setting_checks import (
    checked_elsewhere,
    flag,
    folder,
    folders,
    model_entries,
    number_in,
    optional_whole_number,
    profiles,
    provider,
    rag,
    short_text,
    text_of,
    whole_number,
)
from chi_llm.domain.setting_rules import existing_folder, folder_if_present


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
        Key("model", short_text, "smollm2-135m", "catalog id or path to a .gguf file"),
        Key(
            "context",
            whole_number(16),
            DEFAULT_CONTEXT,
            "context window in tokens (capped by the model's trained context)",
        ),
        Key("max_tokens", whole_number(1), DEFAULT_MAX_TOKENS, "most tokens to generate per call"),
        Key(
            "temperature",
            number_in(0.0, 2.0),
            None,
            "sampling temperature, 0 to 2 (none = the model's recommended; 0.7 locally without one)",
        ),
        Key(
            "top_p",
            number_in(0.0, 1.0, open_low=True),
            None,
            "nucleus sampling, in (0, 1] (none = the model's recommended; 0.95 locally without one)",
        ),
        Key("seed", optional_whole_number, None, "random seed for reproducible sampling (none = random)"),
        Key("system", text_of(MAX_SYSTEM), None, f"default system prompt (at most {MAX_SYSTEM} characters)"),
        Key(
            "cache_dir",
            folder,
            None,
            "where models are stored (default: CHI_LLM_HOME or ~/.cache/chi_llm)",
            folder_if_present,
        ),
        Key(
            "threads",
            whole_number(1),
            None,
            "llama.cpp CPU threads, used as given (default: physical cores, fewer on a busy CPU)",
        ),
        Key(
            "parallel",
            whole_number(1, MAX_PARALLEL),
            None,
            f"local model: requests decoded together, each with its own KV cache of `context` tokens "
            f"(default: {DEFAULT_PARALLEL}, fewer when memory is short)",
        ),
        Key("gpu_layers", whole_number(-1), None, "layers offloaded to the GPU, -1 = all (default: all if supported)"),
        Key("provider", checked_elsewhere, {"type": "local"}, "a single provider: {type: ..., settings...}"),
        Key("providers", checked_elsewhere, None, "provider profiles: [{id, type, settings, tags, priority}]"),
        Key("default_provider", short_text, None, "id of the provider profile tried first"),
        Key(
            "fallback_to_local",
            flag,
            True,
            "when the configured providers fail, answer with the embedded model (`local`), said on stderr",
        ),
        Key("models", model_entries, None, "extra or overriding catalog entries (same fields as models.yaml)"),
        Key("gguf_paths", folders, None, "folders scanned for .gguf files to list and load"),
        Key("allow_oversize", flag, False, "load models even when they do not fit in available memory"),
        Key(
            "tool_grammar",
            flag,
            True,
            "local model: decode tool calls under a grammar of the declared tools (false: read them from free text)",
        ),
        Key(
            "templates_dir",
            folder,
            None,
            "a folder of your own prompt templates (*.yaml), beside the built-in ones",
            existing_folder,
        ),
        Key("rag", rag, None, "knowledge base settings: {db, name, embedding_model, chunk_size, top_k, mode, ...}"),
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
        return provider(value, schemas, source)
    if key == "providers":
        return profiles(value, schemas, source)
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
        """`providers:` if any; else the single `provider:` profile; then the embedded model as
        the last resort, unless `fallback_to_local` is off or the configuration runs llama.cpp
        itself (a `local` profile) or uses the id `local`. With nothing configured, the embedded
        model alone."""
        listed: tuple[ProviderProfile, ...] | None = self["providers"]
        if not listed and not self.is_set("provider"):
            return [EMBEDDED_FALLBACK]
        configured = list(listed) if listed else [self["provider"]]
        own = any(p.type == EMBEDDED_FALLBACK.type or p.id == EMBEDDED_FALLBACK.id for p in configured)
        if self["fallback_to_local"] and not own:
            configured.append(EMBEDDED_FALLBACK)
        return configured

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
