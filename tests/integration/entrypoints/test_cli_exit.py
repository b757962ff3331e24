"""How the `chi-llm` process ends: output flushed, exit status kept, atexit handlers run, and no
interpreter teardown (which costs a one-shot command ~50 ms; mypy skips it the same way)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

FAKE = json.dumps({"provider": {"type": "fake"}})

CHILD = """
import atexit, sys, threading
sys.argv = ["chi-llm", *sys.argv[1:]]
class Finalized:
    def __del__(self):
        sys.__stderr__.write("teardown ran\\n")
KEEP = Finalized()
atexit.register(lambda: sys.__stderr__.write("atexit ran\\n"))
if "--with-worker" in sys.argv:
    sys.argv.remove("--with-worker")
    done = threading.Event()
    threading.Thread(target=lambda: (done.wait(0.3), sys.__stderr__.write("worker finished\\n"))).start()
from chi_llm.entrypoints.cli import main
main()
"""


def child(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "CHI_LLM_CONFIG": FAKE},
    )


def test_a_command_ends_without_teardown_after_flushing_and_atexit(isolated: Path) -> None:
    done = child("generate", "-m", "5", "one two three four five six")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() != ""  # piped (fully buffered) output was flushed
    assert "atexit ran" in done.stderr
    assert "teardown ran" not in done.stderr


@pytest.mark.parametrize(("args", "code"), [(["generate", "--bogus"], 2), (["--version"], 0)])
def test_the_exit_status_is_kept(isolated: Path, args: list[str], code: int) -> None:
    done = child(*args)
    assert done.returncode == code and "teardown ran" not in done.stderr


def test_a_running_non_daemon_thread_is_waited_for(isolated: Path) -> None:
    done = child("--with-worker", "--version")
    assert done.returncode == 0 and "worker finished" in done.stderr
