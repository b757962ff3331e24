"""A chi_llm 2.x user's project file and provider environment, through the CLI as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def cli_process(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CHI_LLM_")}
    full = {**clean, "XDG_CONFIG_HOME": str(cwd / "xdg"), "CHI_LLM_HOME": str(cwd / "home"), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "chi_llm", *args], cwd=cwd, env=full, capture_output=True, text=True, timeout=60
    )


def test_config_show_reads_an_old_project_file(tmp_path: Path) -> None:
    (tmp_path / ".chi_llm.json").write_text(
        json.dumps({"default_model": "gemma-270m", "preferred_context": 2048, "downloaded_models": ["gemma-270m"]})
    )
    done = cli_process("config", "show", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["model"] == "gemma-3-270m" and shown["context"] == 2048
    assert "chi-llm: warning:" in done.stderr and "write model:" in done.stderr and "Traceback" not in done.stderr


def test_the_old_provider_environment(tmp_path: Path) -> None:
    env = {"CHI_LLM_PROVIDER_TYPE": "ollama", "CHI_LLM_PROVIDER_HOST": "127.0.0.1", "CHI_LLM_PROVIDER_PORT": "11434"}
    done = cli_process("config", "show", "--json", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["provider"]["base_url"] == "http://127.0.0.1:11434"
    assert "CHI_LLM_PROVIDER_BASE_URL=http://127.0.0.1:11434" in done.stderr
