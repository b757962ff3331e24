"""Concurrent changes to one configuration file are all kept (an inter-process lock)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def run_all(commands: list[list[str]], cwd: Path) -> None:
    env = dict(os.environ)
    children = [
        subprocess.Popen([sys.executable, "-m", "chi_llm", *c], cwd=cwd, env=env, stderr=subprocess.PIPE)
        for c in commands
    ]
    for child in children:
        assert child.wait(timeout=120) == 0, child.stderr.read() if child.stderr else ""


def test_ten_concurrent_profile_additions_are_all_kept(isolated: Path) -> None:
    run_all([["providers", "add", f"p{i}", "--type", "fake"] for i in range(10)], isolated)
    saved = json.loads((isolated / ".chi_llm.json").read_text())
    assert sorted(p["id"] for p in saved["providers"]) == sorted(f"p{i}" for i in range(10))


def test_concurrent_config_sets_are_all_kept(isolated: Path) -> None:
    values = {
        "max_tokens": "77",
        "temperature": "0.3",
        "top_p": "0.5",
        "seed": "9",
        "context": "1024",
        "threads": "1",
        "gpu_layers": "0",
        "system": "brief",
        "allow_oversize": "true",
    }
    run_all([["config", "set", key, value] for key, value in values.items()], isolated)
    saved = json.loads((isolated / ".chi_llm.json").read_text())
    assert set(saved) == set(values)
