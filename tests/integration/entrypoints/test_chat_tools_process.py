"""`chi-llm chat --tool` as a process with piped standard input (no terminal): without --yes the
model's call is refused and the user told to pass --yes; with --yes --json the events are JSON
lines on stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TOOLS = '''
import pathlib


def add(a: int, b: int) -> int:
    """Add two numbers."""
    pathlib.Path("ran.txt").write_text(f"{a}+{b}")
    return a + b
'''
ASK = {"tool_calls": [{"name": "add", "arguments": {"a": 2, "b": 3}, "id": "c1"}]}


def chat(work: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    (work / "tools.py").write_text(TOOLS)
    config = {"provider": {"type": "fake", "replies": [ASK, "It is 5."]}}
    return subprocess.run(
        [sys.executable, "-m", "chi_llm", "chat", "--tool", "tools.py:add", *flags],
        input="2+3?\n",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=work,
        env={**os.environ, "CHI_LLM_CONFIG": json.dumps(config)},
    )


def test_piped_input_without_yes_refuses_the_call(isolated: Path) -> None:
    done = chat(isolated)
    assert done.returncode == 0, done.stderr
    assert "pass --yes to run tool calls without asking" in done.stderr and "Traceback" not in done.stderr
    assert not (isolated / "ran.txt").exists() and "It is 5." in done.stdout


def test_piped_input_with_yes_and_json_runs_it_and_prints_json_lines(isolated: Path) -> None:
    done = chat(isolated, "--yes", "--json")
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert [e.get("event") for e in events] == ["call", "result", "answer"]
    assert events[1]["content"] == "5" and events[2]["text"] == "It is 5."
    assert (isolated / "ran.txt").read_text() == "2+3"
