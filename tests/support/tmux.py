"""A real terminal for interactive commands: tmux (send-keys, capture-pane)."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import pytest


class Terminal:
    def __init__(self, name: str) -> None:
        self.name = name

    def send(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def screen(self, *, escapes: bool = False) -> str:
        extra = ["-e"] if escapes else []
        done = subprocess.run(
            ["tmux", "capture-pane", "-p", "-J", *extra, "-S", "-200", "-t", self.name], capture_output=True, text=True
        )
        return done.stdout

    def resize(self, width: int, height: int) -> None:
        subprocess.run(["tmux", "resize-window", "-t", self.name, "-x", str(width), "-y", str(height)], check=True)

    def wait_until_gone(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen()
            if text not in shown:
                return shown
            time.sleep(0.1)
        raise AssertionError(f"{text!r} still shows after {timeout} s:\n{self.screen()}")

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.1)
        raise AssertionError(f"{text!r} did not appear within {timeout} s; the screen shows:\n{self.screen()}")


@contextmanager
def terminal(
    command: str, env: Mapping[str, str], cwd: str, *, width: int = 150, height: int = 50
) -> Iterator[Terminal]:
    """Run `command` in a detached tmux session (150x50 unless told); it prints EXIT=<status>
    when it ends."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (scripts/setup.sh installs it where apt-get is available)")
    name = f"chi-{uuid.uuid4().hex[:8]}"
    exports = " ".join(f"{k}={_quote(v)}" for k, v in env.items())
    script = f"cd {_quote(cwd)} && env {exports} {command}; echo EXIT=$?; sleep 60"
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", str(width), "-y", str(height), script], check=True)
    try:
        yield Terminal(name)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"
