"""Provider fallback to the real local model, and what the CLI as a process says when it falls back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from chi_llm import MicroLLM
from tests.support.cli import closed_port, out, run
from tests.support.servers.base import Server
from tests.support.servers.ollama import hello_ollama


@pytest.fixture
def ollama() -> Iterator[Server]:
    with hello_ollama() as server:
        yield server


def test_dead_provider_then_the_real_local_model(isolated: Path, default_model_path: Path) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    (isolated / ".chi_llm.yaml").write_text(
        yaml.safe_dump(
            {
                "providers": [
                    {"id": "dead", "type": "ollama", "priority": 1, "settings": {"base_url": dead, "model": "x"}},
                    {"id": "local", "type": "local", "priority": 2, "settings": {"model": str(default_model_path)}},
                ]
            }
        )
    )
    llm = MicroLLM()
    assert llm.provider_ids == ["dead", "local"]
    assert llm.generate("Say hi", max_tokens=5).strip()


def test_cli_says_so_on_stderr_when_it_falls_back(isolated: Path, ollama: Server) -> None:
    import os
    import subprocess
    import sys

    dead = f"http://127.0.0.1:{closed_port()}"
    (isolated / ".chi_llm.yaml").write_text(
        yaml.safe_dump(
            {
                "providers": [
                    {"id": "dead", "type": "lmstudio", "priority": 1, "settings": {"base_url": dead, "model": "x"}},
                    {
                        "id": "home",
                        "type": "ollama",
                        "priority": 2,
                        "settings": {"base_url": ollama.url, "model": "llama3.2"},
                    },
                ]
            }
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "chi_llm", "generate", "hi"],
        capture_output=True,
        text=True,
        cwd=isolated,
        env=dict(os.environ),
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout.strip() == "hello from ollama"
    assert "chi-llm: warning: provider dead failed (backend_unavailable" in done.stderr
    assert "falling back to home" in done.stderr


def chi_llm(*args: str, home: Path, cwd: Path) -> Any:
    """`python -m chi_llm ARGS` in a child process (its stderr as a user sees it)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "CHI_LLM_HOME": str(home)}
    command = [sys.executable, "-m", "chi_llm", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def test_adding_a_provider_keeps_the_embedded_model_as_the_last_resort(
    isolated: Path, default_model_path: Path
) -> None:
    home = default_model_path.parent.parent  # the embedded model is already there: no download
    down = f"http://127.0.0.1:{closed_port()}"
    added = run("providers", "add", "home", "--type", "ollama", "--set", f"base_url={down}", "--set", "model=llama3.2")
    assert added.exit_code == 0
    rows = json.loads(out(run("providers", "list", "--json")))
    assert [(r["id"], r["fallback"]) for r in rows] == [("home", False), ("local", True)]
    listed = out(run("providers", "list")).splitlines()
    assert "last-resort fallback" in listed[1] and listed[1].split()[0] == "local"
    assert [r["id"] for r in json.loads(out(run("providers", "current", "--json")))] == ["home", "local"]

    answered = chi_llm("generate", "-m", "4", "hi", home=home, cwd=isolated)
    assert answered.returncode == 0 and answered.stdout.strip(), answered.stderr
    notices = [line for line in answered.stderr.splitlines() if line.startswith("chi-llm: warning:")]
    assert len(notices) == 1 and "provider home failed (backend_unavailable" in notices[0]
    assert "falling back to local, the embedded model" in notices[0]

    report = chi_llm("generate", "--json", "-m", "4", "hi", home=home, cwd=isolated)
    data = json.loads(report.stdout)
    assert report.returncode == 0 and data["provider"] == "local"
    assert [(f["provider"], f["kind"]) for f in data["fallback"]] == [("home", "backend_unavailable")]

    every = chi_llm("generate", "--model", str(isolated / "missing.gguf"), "hi", home=home, cwd=isolated)
    assert every.returncode == 5 and "home: backend_unavailable" in every.stderr and "local: " in every.stderr

    assert run("config", "set", "fallback_to_local", "false").exit_code == 0
    alone = chi_llm("generate", "-m", "4", "hi", home=home, cwd=isolated)
    assert alone.returncode == 5 and "not reachable" in alone.stderr and "falling back" not in alone.stderr
    assert [r["id"] for r in json.loads(out(run("providers", "list", "--json")))] == ["home"]
