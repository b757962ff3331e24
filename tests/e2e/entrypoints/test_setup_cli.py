"""`chi-llm setup` as a user runs it: --yes for a local model from an empty home (the real model),
and the interactive wizard driven through a real terminal (tmux)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.support.servers.base import Server
from tests.support.setup_cli import global_file, two_model_ollama
from tests.support.tmux import terminal


@pytest.fixture
def ollama() -> Iterator[Server]:
    with two_model_ollama() as server:
        yield server


@pytest.mark.real_model  # by hand: it fetches the model itself, asking no fixture for it
def test_yes_with_a_model_sets_up_a_working_local_model_from_an_empty_home(isolated: Path) -> None:
    env = dict(os.environ)
    assert not Path(env["CHI_LLM_HOME"]).exists()
    done = subprocess.run(
        [sys.executable, "-m", "chi_llm", "setup", "--yes", "--model", "smollm2-135m"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(global_file().read_text()) == {"model": "smollm2-135m"}
    answer = subprocess.run(
        [sys.executable, "-m", "chi_llm", "generate", "-m", "4", "-t", "0", "Say hi"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert answer.returncode == 0 and answer.stdout.strip(), answer.stderr


def _env(**extra: str) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "CHI_LLM_HOME", "TERM")
    return {**{k: os.environ[k] for k in keep if k in os.environ}, "TERM": "xterm", **extra}


def test_the_wizard_sets_up_a_local_model_in_a_real_terminal(isolated: Path, default_model_path: Path) -> None:
    env = _env(CHI_LLM_HOME=str(default_model_path.parent.parent))  # the model is already there: no download
    with terminal(f"{sys.executable} -m chi_llm setup", env, str(isolated)) as term:
        term.wait_for("[local/provider] (local):")
        term.send("Enter")
        term.wait_for("Model (an id from the table)")
        term.send("smollm2-135m", "Enter")
        term.wait_for("make it the default? [y/n] (y):")
        term.send("Enter")
        shown = term.wait_for("EXIT=")
    assert "EXIT=0" in shown and "saved" in shown
    assert yaml.safe_load(global_file().read_text()) == {"model": "smollm2-135m"}


def test_the_wizard_sets_up_a_provider_in_a_real_terminal(isolated: Path, ollama: Server) -> None:
    with terminal(f"{sys.executable} -m chi_llm setup", _env(), str(isolated)) as term:
        term.wait_for("[local/provider] (local):")
        term.send("provider", "Enter")
        term.wait_for("Provider type")
        term.send("Enter")  # ollama
        term.wait_for("Server URL")
        term.send("C-u", ollama.url, "Enter")
        term.wait_for("Model (number or name)")
        term.send("2", "Enter")  # qwen3
        shown = term.wait_for("EXIT=")
    assert "connection test: ok" in shown and "EXIT=0" in shown
    saved = yaml.safe_load(global_file().read_text())
    assert saved["providers"][0]["settings"] == {"base_url": ollama.url, "model": "qwen3"}


def test_ctrl_c_in_the_wizard_writes_nothing(isolated: Path) -> None:
    with terminal(f"{sys.executable} -m chi_llm setup", _env(), str(isolated)) as term:
        term.wait_for("[local/provider] (local):")
        term.send("C-c")
        shown = term.wait_for("EXIT=")
    assert "setup cancelled" in shown and "nothing was written" in shown and "EXIT=130" in shown
    assert "Traceback" not in shown and not global_file().exists()
