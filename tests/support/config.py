"""A configuration service over a temporary folder (project and global files, a given
environment), with a small known-model list, and a file writer for its layers."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from chi_llm.adapters.config_files import FileConfigStore
from chi_llm.adapters.providers.registry import schemas
from chi_llm.application.config import ConfigService

KNOWN = ["smollm2-135m", "other-model"]


def service(tmp: Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> ConfigService:
    env = {"XDG_CONFIG_HOME": str(tmp / "xdg"), **(env or {})}
    return ConfigService(
        FileConfigStore(cwd or tmp, env),
        env,
        schemas=schemas(),
        known_models=lambda values: KNOWN + [e["id"] for e in values.get("models") or ()],
    )


def write(path: Path, data: dict[str, object]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data) if path.suffix == ".json" else yaml.safe_dump(data))
    return path
