"""The CLI as a process: a real Ctrl-C, a closed pipe, rich-click's help, and what it imports."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


def interrupted_generation(*, sigint: Any = signal.SIG_DFL) -> tuple[int, str]:
    """Start `chi-llm generate` (80 s of fake tokens, with SIGINT at `sigint` as it starts), wait
    until it streams — a generation is running, past start-up — then send SIGINT once. A missed
    Ctrl-C cannot pass for a finished answer: the generation would outlast the 60 s wait."""
    env = {**os.environ, "CHI_LLM_CONFIG": json.dumps({"provider": {"type": "fake", "token_delay": 0.2}})}
    child = subprocess.Popen(
        [sys.executable, "-m", "chi_llm", "generate", "word " * 400, "-m", "400"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, sigint),
    )
    try:
        assert child.stdout is not None
        assert child.stdout.read(12)  # the readiness signal: it is streaming
        child.send_signal(signal.SIGINT)
        _out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return child.returncode, err


def test_ctrl_c_stops_a_generation_cleanly(isolated: Path) -> None:
    code, err = interrupted_generation()
    assert code == 130
    assert "interrupted" in err and "Traceback" not in err


def test_ctrl_c_stops_a_generation_started_with_sigint_ignored(isolated: Path) -> None:
    """The flake's cause: a test run started in the background by a shell without job control
    (`.ci/run &`) inherits SIGINT ignored, Python keeps it ignored, and the interrupted generation
    ran to its end and exited 0. The CLI takes SIGINT back, so Ctrl-C is always 130."""
    code, err = interrupted_generation(sigint=signal.SIG_IGN)
    assert code == 130
    assert "interrupted" in err and "Traceback" not in err


def test_closed_pipe_ends_quietly(isolated: Path) -> None:
    env = {**os.environ, "CHI_LLM_CONFIG": json.dumps({"provider": {"type": "fake", "token_delay": 0.01}})}
    child = subprocess.Popen(
        [sys.executable, "-m", "chi_llm", "generate", "word " * 200, "-m", "200"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.read(10)
    child.stdout.close()  # like `| head -c 10`
    assert child.wait(timeout=30) == 141
    assert child.stderr.read() == b""


@pytest.mark.parametrize(
    ("args", "code"),
    [(["--help"], 0), (["models", "list", "-h"], 0), (["models"], 2)],  # a bare group shows help, exit 2
)
def test_help_is_rendered_by_rich_click(args: list[str], code: int) -> None:
    done = subprocess.run([sys.executable, "-m", "chi_llm", *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == code and "╭─" in done.stdout and "Usage: chi-llm" in done.stdout


def test_a_usage_error_names_the_option_and_exits_2() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "chi_llm", "generate", "--bogus"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "No such option '--bogus'" in done.stderr


def test_generation_does_not_load_rich_click() -> None:
    code = (
        "import sys\n"
        "sys.argv = ['chi-llm', 'generate', 'hi']\n"
        "from chi_llm.entrypoints import cli\n"
        "from chi_llm.entrypoints.cli.app import cli as group\n"
        "print(cli.wants_help(sys.argv[1:]), 'rich_click' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]
