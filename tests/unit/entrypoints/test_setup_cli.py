"""`chi-llm setup` in-process: --yes for providers, the connection test, where keys go, the local
choice, `setup recommend`, and the wizard refusing to run without a terminal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from chi_llm.entrypoints.wiring import wire
from tests.support.cli import closed_port, run
from tests.support.servers.base import Server
from tests.support.setup_cli import global_file, two_model_ollama


@pytest.fixture
def ollama() -> Iterator[Server]:
    with two_model_ollama() as server:
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
