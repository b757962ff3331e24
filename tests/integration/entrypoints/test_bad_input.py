"""Bad input given to the CLI as a process (an endless stdin, undecodable bytes) is refused clearly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

FAKE = json.dumps({"provider": {"type": "fake"}})


@pytest.fixture(autouse=True)
def fake(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHI_LLM_CONFIG", FAKE)


def test_an_endless_input_is_capped(isolated: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "chi_llm", "generate", "-f", "/dev/zero"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "CHI_LLM_CONFIG": FAKE},
    )
    assert done.returncode == 2 and "MiB" in done.stderr and "Traceback" not in done.stderr


def test_a_system_prompt_with_undecodable_bytes_is_refused() -> None:
    done = subprocess.run(
        [sys.executable.encode(), b"-m", b"chi_llm", b"generate", b"--system", b"caf\xe9", b"hi"],
        capture_output=True,
        timeout=60,
        env={**os.environ, "CHI_LLM_CONFIG": FAKE},
    )
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2 and "not valid text" in stderr and "Traceback" not in stderr
