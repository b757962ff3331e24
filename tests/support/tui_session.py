"""The installed chi-tui in tmux, as the end-to-end tests start it: the command, its environment,
the first screen, and the skip where chi-tui is not installed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from chi_llm.adapters.features import program_path
from tests.support.tmux import Terminal

NEEDS_TUI = pytest.mark.skipif(
    program_path("chi-tui") is None, reason="chi-tui is not installed (scripts/setup.sh builds it; needs cargo)"
)
CHI_LLM = str(Path(sys.executable).with_name("chi-llm"))


def env(**extra: str) -> dict[str, str]:
    # PYTHONPATH: a checkout run with PYTHONPATH=$PWD has its bridge import that checkout too
    keep = ("PATH", "PYTHONPATH", "HOME", "LANG", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "CHI_LLM_HOME")
    return {**{k: os.environ[k] for k in keep if k in os.environ}, "TERM": "xterm-256color", **extra}


def ui(log: Path, *bridge: str) -> str:
    extra = " ".join(f"--bridge-arg={arg}" for arg in bridge)
    return f"{CHI_LLM} ui -- --log {log} {extra}"


def ready(term: Terminal) -> None:
    term.wait_for("Configure a provider")
    term.wait_for("chi-llm 0.")
