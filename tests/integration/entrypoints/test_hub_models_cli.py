"""`generate --model` with a hub reference, against the hub stand-in (HF_ENDPOINT on loopback): the
file is downloaded and run on the real engine, and a repository says which file it fetches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import out, run
from tests.support.hub_quants import REPO, quant_hub
from tests.support.hub_server import Hub


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    with quant_hub(monkeypatch) as hub:
        yield hub


def test_generate_downloads_a_hub_reference_and_runs_it(hub: Hub, default_model_path: Path) -> None:
    hub.add("org/Smol", "smol-Q4_1.gguf", default_model_path.read_bytes())
    result = run("generate", "--model", "hf:org/Smol/smol-Q4_1.gguf", "--max-tokens", "4", "Hi")
    assert result.exit_code == 0, result.output
    assert out(result).strip()
    listed = {r["id"] for r in json.loads(out(run("models", "list", "--downloaded", "--json")))}
    assert "hf:org/Smol/smol-Q4_1.gguf" in listed


def test_generate_with_a_repository_says_which_file_it_fetches(hub: Hub) -> None:
    # A process of its own: the warning line is routed to stderr as `chi-llm` starts.
    command = [sys.executable, "-m", "chi_llm", "generate", "--model", f"hf:{REPO}", "Hi"]
    done_ = subprocess.run(command, capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert "chi-llm: warning: hf:org/Tiny-GGUF: chose tiny-Q8_0.gguf" in done_.stderr, done_.stderr
    assert done_.returncode == 4  # the stand-in's files are not real models: refused before llama.cpp
    listed = {r["id"] for r in json.loads(out(run("models", "list", "--downloaded", "--json")))}
    assert listed == {f"hf:{REPO}/tiny-Q8_0.gguf"}
