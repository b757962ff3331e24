"""The environment's layer of the configuration: `CHI_LLM_CONFIG` (a file path or inline JSON,
within the same limits as a file), then the individual `CHI_LLM_*` variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chi_llm.domain.config_limits import MAX_FILE_BYTES, check_structure, load_json
from chi_llm.domain.errors import ConfigError
from chi_llm.domain.ports import ConfigStore

Layer = tuple[str, Mapping[str, Any]]
ENV_KEYS = {
    "CHI_LLM_MODEL": "model",
    "CHI_LLM_CONTEXT": "context",
    "CHI_LLM_MAX_TOKENS": "max_tokens",
    "CHI_LLM_TEMPERATURE": "temperature",
    "CHI_LLM_TOP_P": "top_p",
    "CHI_LLM_PARALLEL": "parallel",
    "CHI_LLM_HOME": "cache_dir",
    "CHI_LLM_FALLBACK_TO_LOCAL": "fallback_to_local",
}
PROVIDER_ENV_PREFIX = "CHI_LLM_PROVIDER_"


def env_layers(env: Mapping[str, str], store: ConfigStore) -> list[Layer]:
    """The environment's layers, lowest precedence first."""
    layers: list[Layer] = []
    inline = env.get("CHI_LLM_CONFIG", "").strip()
    if inline:
        layers.append(("env CHI_LLM_CONFIG", config_env(inline, store)))
    for var, key in ENV_KEYS.items():
        if env.get(var, "").strip():
            layers.append((f"env {var}", {key: env[var].strip()}))
    provider = {
        var[len(PROVIDER_ENV_PREFIX) :].lower(): value
        for var, value in sorted(env.items())
        if var.startswith(PROVIDER_ENV_PREFIX) and value.strip()
    }
    if provider:
        layers.append(("env CHI_LLM_PROVIDER_*", {"provider": provider}))
    return layers


def config_env(value: str, store: ConfigStore) -> Mapping[str, Any]:
    """`CHI_LLM_CONFIG`: inline JSON (an object, bounded as a file is) or a file's path."""
    source = "env CHI_LLM_CONFIG"
    if value.startswith(("{", "[")):
        if len(value) > MAX_FILE_BYTES:
            raise ConfigError(
                f"inline JSON of {len(value)} characters is more than a configuration may hold "
                f"({MAX_FILE_BYTES >> 20} MiB); shorten it",
                source=source,
            )
        parsed = load_json(value, source=source)
        if not isinstance(parsed, dict):
            raise ConfigError("inline JSON must be an object", source=source)
        check_structure(parsed, source=source)
        return parsed
    path = Path(os.path.expanduser(value))
    if not store.exists(path):
        raise ConfigError(f"no such file {path} (give a path or inline JSON)", source=source)
    return store.read(path)
