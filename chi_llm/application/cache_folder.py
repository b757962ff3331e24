"""Where chi_llm keeps what it downloads and builds: the models, the default knowledge base, locks."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from chi_llm.domain.setting_rules import cache_home
from chi_llm.domain.settings import check_on_disk


def cache_dir(settings_value: str | None, env: Mapping[str, str]) -> Path:
    """The cache folder: the `cache_dir` setting, else the environment's (CHI_LLM_HOME, else XDG
    cache / ~/.cache/chi_llm); ConfigError when it, or its models folder, is a file."""
    folder = Path(os.path.expanduser(settings_value)) if settings_value else cache_home(env)
    check_on_disk("cache_dir", str(folder))
    return folder
