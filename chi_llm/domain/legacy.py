"""Reading chi_llm 2.x configuration: its keys, provider shape and model ids, mapped to today's.

Pure functions: each returns the migrated mapping and the notices to show (one line each,
saying what to write instead). Nothing here is ever written back unless the user changes the
file (`chi-llm config set`, `config migrate`), which then stores today's keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from chi_llm.domain.errors import ConfigError

# chi_llm 2.x catalog ids -> the nearest entry of today's catalog (same family where it exists,
# else the same size and purpose). An id today's catalog also has keeps its own meaning.
LEGACY_MODEL_IDS: dict[str, str] = {
    "gemma-270m": "gemma-3-270m",
    "gemma2-2b": "gemma-2-2b",
    "gemma2-9b": "llama-3.1-8b",
    "phi3-mini": "phi-3.5-mini",
    "phi2-2.7b": "phi-3.5-mini",
    "stablelm-2-1.6b": "smollm2-1.7b",
    "stablelm-3b": "llama-3.2-3b",
    "liquid-lfm2-1.2b": "lfm2-1.2b",
    "qwen3-4b-thinking": "qwen3-4b",
    "qwen2.5-coder-0.5b": "qwen2.5-coder-1.5b",
    "qwen2.5-coder-3b": "qwen2.5-coder-1.5b",
}

# top-level keys renamed one to one
RENAMED_KEYS: dict[str, str] = {
    "default_model": "model",
    "preferred_context": "context",
    "preferred_max_tokens": "max_tokens",
    "auto_discovery_gguf_paths": "gguf_paths",
}

# top-level keys that no longer mean anything, and why
DROPPED_KEYS: dict[str, str] = {
    "downloaded_models": "chi-llm finds downloaded files itself",
    "allow_global": "the global file is always read, below the project file",
    "resolution_mode": "the order is fixed: arguments > environment > project file > global file",
    "verbose": "MicroLLM(verbose=True) shows chi_llm's log lines",
    "top_k": "top_k is not a setting; pass top_p or temperature",
}

# chi_llm 2.x environment variables that no longer do anything
DROPPED_ENV: dict[str, str] = {
    "CHI_LLM_RESOLUTION_MODE": DROPPED_KEYS["resolution_mode"],
    "CHI_LLM_ALLOW_GLOBAL": DROPPED_KEYS["allow_global"],
}

# provider fields renamed one to one
PROVIDER_RENAMED: dict[str, str] = {
    "context_window": "context",
    "n_gpu_layers": "gpu_layers",
    "timeout": "read_timeout",
}
PROVIDER_TYPES: dict[str, str] = {
    "local-zeroconfig": "local",
    "local-custom": "local",
    "llamacpp": "local",
    "groq": "openai",
}
GROQ_URL = "https://api.groq.com/openai/v1"
DEFAULT_PORTS = {"lmstudio": 1234, "ollama": 11434}
GONE_TYPES = {
    "claude-cli": "type 'anthropic' with an API key (ANTHROPIC_API_KEY)",
    "openai-cli": "type 'openai' with an API key (OPENAI_API_KEY)",
}


def legacy_model(model_id: str, known: set[str] | list[str]) -> str | None:
    """Today's id for a chi_llm 2.x model id (None when `model_id` is current or unknown)."""
    if model_id in known:
        return None
    target = LEGACY_MODEL_IDS.get(model_id)
    return target if target in known else None


def _say(source: str, text: str) -> str:
    return f"{source}: {text} (chi_llm 2.x form)"


def migrate_layer(layer: Mapping[str, Any], source: str) -> tuple[dict[str, Any], list[str]]:
    """`layer` with every chi_llm 2.x key mapped to today's, and a notice for each."""
    out = dict(layer)
    notices = _top_level(out, source)
    if isinstance(out.get("provider"), Mapping):
        provider, more, hoisted = migrate_provider(out["provider"], source)
        out["provider"] = provider
        notices.extend(more)
        for key, value in hoisted.items():
            out.setdefault(key, value)
    if "provider_profiles" in out:
        profiles, more = _profiles(out.pop("provider_profiles"), out.get("providers"), source)
        out["providers"] = profiles
        notices.extend(more)
    return out, notices


def _top_level(out: dict[str, Any], source: str) -> list[str]:
    """Renamed and dropped top-level keys (in place); the notices."""
    notices: list[str] = []
    for old, new in RENAMED_KEYS.items():
        if old not in out:
            continue
        value = out.pop(old)
        if new in out:
            notices.append(_say(source, f"'{old}' is ignored because '{new}' is set too; remove '{old}'"))
            continue
        out[new] = value
        notices.append(_say(source, f"'{old}' is read as '{new}'; write {new}: {_shown(value)} instead"))
    for old, why in DROPPED_KEYS.items():
        if old in out:
            out.pop(old)
            notices.append(_say(source, f"'{old}' is ignored ({why}); remove it"))
    if isinstance(out.get("model"), Mapping):  # 2.x `model: {temperature, max_tokens, top_p, top_k}`
        nested = dict(out.pop("model"))
        for name in ("temperature", "max_tokens", "top_p"):
            if name in nested and name not in out:
                out[name] = nested[name]
        notices.append(
            _say(
                source,
                "'model' as a mapping of sampling settings is read as temperature/max_tokens/top_p; "
                "write those at the top level",
            )
        )
    return notices


def migrate_provider(
    raw: Mapping[str, Any], source: str, *, final: bool = False
) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
    """A provider mapping in today's shape, the notices, and top-level keys it used to hold
    (`output_tokens` -> `max_tokens`). `host`/`port` become `base_url` once the type is known
    (`final`: this is the merged mapping, so no type means local)."""
    out = dict(raw)
    notices = _provider_type(out, source)
    hoisted: dict[str, Any] = {}
    if "model_path" in out:
        path = out.pop("model_path")
        if path:
            out["model"] = path
        notices.append(_say(source, "provider 'model_path' is read as 'model'; write the path as the model"))
    for old, new in PROVIDER_RENAMED.items():
        if old in out:
            out.setdefault(new, out.pop(old))
            notices.append(_say(source, f"provider '{old}' is read as '{new}'; write that instead"))
    if "output_tokens" in out:
        hoisted["max_tokens"] = out.pop("output_tokens")
        notices.append(_say(source, "provider 'output_tokens' is read as 'max_tokens'; write it at the top level"))
    for gone in ("org_id", "binary", "args"):
        if gone in out:
            out.pop(gone)
            notices.append(_say(source, f"provider '{gone}' is ignored; remove it"))
    if ("host" in out or "port" in out) and (isinstance(out.get("type"), str) or final):
        notices.append(_address(out, source))
    return out, notices, hoisted


def _provider_type(out: dict[str, Any], source: str) -> list[str]:
    kind = out.get("type")
    if not isinstance(kind, str):
        return []
    if kind in GONE_TYPES:
        message = f"the {kind} provider of chi_llm 2.x is gone; use {GONE_TYPES[kind]}"
        raise ConfigError(message, source=source, key="provider")
    if kind not in PROVIDER_TYPES:
        return []
    out["type"] = PROVIDER_TYPES[kind]
    if kind == "groq" and not out.get("base_url"):
        out["base_url"] = GROQ_URL
    return [_say(source, f"provider type '{kind}' is read as '{out['type']}'; write that instead")]


def _address(out: dict[str, Any], source: str) -> str:
    """host/port -> base_url for the mapping's type (in place); the notice saying so."""
    kind = str(out.get("type") or "local")
    host = str(out.pop("host", "") or "").strip()
    port = out.pop("port", None)
    if kind == "local":
        return _say(source, "provider 'host'/'port' do not apply to the local provider; remove them")
    if out.get("base_url"):
        parts = urlsplit(str(out["base_url"]))
        port = port or parts.port
        netloc = f"{host or parts.hostname or '127.0.0.1'}:{port}" if port else host or parts.netloc
        out["base_url"] = urlunsplit(parts._replace(netloc=netloc))
    else:
        if "://" in host:
            url = host.rstrip("/")
        else:
            port = port or DEFAULT_PORTS.get(kind)
            url = f"http://{host or '127.0.0.1'}" + (f":{port}" if port else "")
        out["base_url"] = url + ("/v1" if kind == "openai" and not url.endswith("/v1") else "")
    if source.startswith("env"):
        return _say(
            source,
            f"CHI_LLM_PROVIDER_HOST/PORT are read as base_url; set CHI_LLM_PROVIDER_BASE_URL={out['base_url']} instead",
        )
    return _say(source, f"provider 'host'/'port' are read as base_url; write base_url: {out['base_url']} instead")


def _profiles(raw: Any, existing: Any, source: str) -> tuple[list[Any], list[str]]:
    """2.x `provider_profiles: [{name, type, host, port, ...}]` -> `providers: [{id, type, ...}]`,
    after any `providers` already in the same file (which win on a shared id)."""
    if not isinstance(raw, list):
        raise ConfigError("must be a list of provider profiles", source=source, key="provider_profiles")
    profiles: list[Any] = list(existing) if isinstance(existing, list) else []
    # An id that is not text is refused when the list is checked; here it only must not be hashed.
    taken = {p["id"] for p in profiles if isinstance(p, Mapping) and isinstance(p.get("id"), str)}
    notices = [
        _say(
            source,
            "'provider_profiles' is read as 'providers' (each 'name' is its 'id'); "
            "run `chi-llm config migrate` to rewrite the file",
        )
    ]
    for index, entry in enumerate(raw):
        if not isinstance(entry, Mapping):
            raise ConfigError("each provider profile must be a mapping", source=source, key="provider_profiles")
        entry = dict(entry)
        profile_id = entry.pop("name", None) or entry.pop("id", None) or f"{entry.get('type', 'profile')}-{index + 1}"
        if not isinstance(profile_id, str):
            raise ConfigError("each provider profile's 'name' must be text", source=source, key="provider_profiles")
        if isinstance(entry.get("type"), str) and entry["type"] in GONE_TYPES:
            notices.append(
                _say(
                    source,
                    f"profile {profile_id!r} of type {entry['type']!r} is skipped (use {GONE_TYPES[entry['type']]})",
                )
            )
            continue
        head = {k: entry.pop(k) for k in ("tags", "priority") if k in entry}
        settings, more, _ = migrate_provider(entry, source, final=True)
        notices.extend(n for n in more if n not in notices)
        if profile_id in taken:
            continue
        taken.add(profile_id)
        kind = settings.pop("type", "local")
        profiles.append({"id": str(profile_id), "type": kind, **head, **({"settings": settings} if settings else {})})
    return profiles, notices


def _shown(value: Any) -> str:
    return repr(value) if not isinstance(value, (int, float)) else str(value)
