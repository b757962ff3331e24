"""Rules for configuration values that look beyond the value itself: at the disk (a folder that
must exist) or at other keys (the default provider must be a configured profile). Each is
defined once, here, and used both where a value is written (`config set`) and where it is used
(the template store, the cache, the router), so both refuse with the same words.

The disk rules are not applied on every resolution: a folder on a drive not mounted yet must not
break commands that do not use it."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from chi_llm.domain.errors import ConfigError
from chi_llm.domain.providers import ProviderProfile


def existing_folder(value: str) -> None:
    """`templates_dir`: a folder that exists (ValueError otherwise)."""
    path = os.path.expanduser(value)
    if not os.path.isdir(path):
        raise ValueError(f"{path} is not an existing folder; create it, or give a folder of *.yaml templates")


def folder_if_present(value: str) -> None:
    """`cache_dir`: created when first needed, so it may be missing; but it, and the models
    folder inside it, must not be files (ValueError otherwise)."""
    folder = os.path.expanduser(value)
    for part in (folder, os.path.join(folder, "models")):
        if os.path.exists(part) and not os.path.isdir(part):
            raise ValueError(f"{part} is a file, not a folder; point cache_dir (CHI_LLM_HOME) at a folder")


def cache_home(env: Mapping[str, str]) -> Path:
    """chi_llm's cache folder from the environment: CHI_LLM_HOME, else $XDG_CACHE_HOME/chi_llm,
    else ~/.cache/chi_llm (the `cache_dir` setting, when set, takes precedence over all three)."""
    if env.get("CHI_LLM_HOME"):
        return Path(os.path.expanduser(env["CHI_LLM_HOME"]))
    return Path(os.path.expanduser(env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache"))) / "chi_llm"


def check_default_provider(default_id: str | None, profiles: Sequence[ProviderProfile]) -> None:
    """`default_provider` names one of `profiles` (the configured ones), or is not set."""
    ids = [profile.id for profile in profiles]
    if default_id is not None and default_id not in ids:
        raise ConfigError(
            f"{default_id!r} is not a configured provider profile (configured: {', '.join(ids) or 'none'}); "
            "add it first (chi-llm providers add) or name one of those",
            key="default_provider",
        )
