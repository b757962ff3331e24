"""`chi-llm setup`: --yes for local models and providers, the connection test, where keys go,
`setup recommend`, and the interactive wizard driven through a real terminal (tmux)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.entrypoints.wiring import wire
from tests.support.cli import closed_port, run
from tests.support.servers.base import Server, serve
from tests.support.servers.ollama import OllamaHandler
from tests.support.tmux import terminal


def global_file() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"]) / "chi_llm" / "config.yaml"


@pytest.fixture
def ollama() -> Iterator[Server]:
    with serve(
        OllamaHandler, Server(engine=FakeTextGenerator(["hello there"], models=("llama3.2", "qwen3")))
    ) as server:
        yield server


def test_yes_with_a_provider_tests_it_and_makes_it_the_default(ollama: Server) -> None:
    result = run("setup", "--yes", "--provider", "ollama", "--set", f"base_url={ollama.url}", "--set", "model=qwen3")
    assert result.exit_code == 0 and "connection test: ok" in result.stdout
    saved = yaml.safe_load(global_file().read_text())
    assert saved["default_provider"] == "ollama"
    assert saved["providers"][0]["settings"] == {"base_url": ollama.url, "model": "qwen3"}
    current = json.loads(run("providers", "current", "--json").stdout)
    assert current[0]["id"] == "ollama"


def test_a_failed_connection_test_writes_nothing_unless_told() -> None:
    url = f"base_url=http://127.0.0.1:{closed_port()}"
    failed = run("setup", "--yes", "--provider", "ollama", "--set", url)
    assert failed.exit_code == 5 and "nothing written" in failed.stderr and not global_file().exists()
    forced = run("setup", "--yes", "--provider", "ollama", "--set", url, "--skip-test")
    assert forced.exit_code == 0 and "unreachable" in forced.stdout and global_file().exists()


def test_a_key_does_not_go_into_the_project_file_unless_asked(isolated: Path, ollama: Server) -> None:
    args = ["setup", "--yes", "--provider", "openai", "--set", f"base_url={ollama.url}/v1", "--skip-test"]
    refused = run(*args, "--project", "--api-key-stdin", stdin="sk-abc\n")
    assert refused.exit_code == 2 and "--key-in-project" in refused.stderr and not (isolated / ".chi_llm.json").exists()
    done = run(*args, "--api-key-stdin", stdin="sk-abc\n")  # global: the key's home
    assert done.exit_code == 0 and oct(global_file().stat().st_mode & 0o777) == "0o600"
    assert "sk-abc" not in done.stdout + done.stderr


def test_the_wizard_needs_a_terminal_and_says_how_to_script_it() -> None:
    result = run("setup")
    assert result.exit_code == 2 and "--yes" in result.stderr and not global_file().exists()


def test_choosing_local_switches_from_a_remote_provider(isolated: Path) -> None:
    global_file().parent.mkdir(parents=True)
    global_file().write_text("provider: {type: ollama, model: qwen3}\ntemperature: 0.3\n")
    wire().setup().save_local("smollm2-135m")
    saved = yaml.safe_load(global_file().read_text())
    assert saved == {"provider": {"type": "local"}, "temperature": 0.3, "model": "smollm2-135m"}
    global_file().write_text("providers: [{id: box, type: ollama}]\ndefault_provider: box\n")
    wire().setup().save_local("smollm2-135m")
    saved = yaml.safe_load(global_file().read_text())
    assert saved["default_provider"] == "local" and {p["id"] for p in saved["providers"]} == {"box", "local"}


def test_setup_recommend_is_the_advisors_choice() -> None:
    shown = json.loads(run("setup", "recommend", "--json").stdout)
    advised = json.loads(run("models", "recommend", "--json").stdout)
    # the same choice; free memory is measured afresh on each call, so the whole objects may differ
    assert (shown["id"], shown["alternatives"]) == (advised["id"], advised["alternatives"]) and shown["reason"]


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
