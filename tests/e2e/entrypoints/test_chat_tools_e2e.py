"""`chi-llm chat --tool` in a real terminal (tmux): the user approves, declines, or always allows
the model's calls (scripted on the fake backend), and only the approved ones run."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from tests.support.tmux import Terminal, terminal

TOOLS = '''
import pathlib


def add(a: int, b: int) -> int:
    """Add two numbers."""
    pathlib.Path("ran.txt").open("a").write(f"add {a} {b}\\n")
    return a + b
'''
QUESTION = "Run it? [y/N/a(lways)]"


def ask(call_id: str, a: int, b: int) -> dict[str, Any]:
    return {"tool_calls": [{"name": "add", "arguments": {"a": a, "b": b}, "id": call_id}]}


def chat(work: Path, *replies: str | dict[str, Any]) -> tuple[str, dict[str, str]]:
    (work / "tools.py").write_text(TOOLS)
    keep = ("PATH", "HOME", "LANG", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "CHI_LLM_HOME", "PYTHONPATH")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env |= {"TERM": "xterm", "CHI_LLM_CONFIG": json.dumps({"provider": {"type": "fake", "replies": list(replies)}})}
    return f"{sys.executable} -m chi_llm chat --tool tools.py:add", env


def answer(term: Terminal, key: str, asked_before: int, timeout: float = 30.0) -> None:
    """Wait for the next approval question, then answer it."""
    deadline = time.monotonic() + timeout
    while term.screen().count(QUESTION) <= asked_before:
        if time.monotonic() > deadline:
            raise AssertionError(f"approval question {asked_before + 1} did not appear:\n{term.screen()}")
        time.sleep(0.1)
    term.send(key, "Enter")


def test_the_user_approves_one_call_and_declines_the_next(isolated: Path) -> None:
    command, env = chat(isolated, ask("c1", 2, 3), ask("c2", 4, 5), "2+3 is 5; I was not allowed 4+5.")
    with terminal(command, env, str(isolated)) as term:
        term.wait_for(">>> ")
        term.send("add things", "Enter")
        answer(term, "y", 0)
        answer(term, "n", 1)
        term.wait_for("I was not allowed 4+5.")
        term.send("/exit", "Enter")
        shown = term.wait_for("EXIT=")
    assert "EXIT=0" in shown
    assert "tool add(a=2, b=3)" in shown and "→ 5" in shown
    assert "tool add(a=4, b=5)" in shown and "✗ refused: the application refused to run tool 'add'" in shown
    assert (isolated / "ran.txt").read_text().splitlines() == ["add 2 3"]


def test_always_allows_the_tool_for_the_rest_of_the_chat(isolated: Path) -> None:
    command, env = chat(isolated, ask("c1", 1, 1), ask("c2", 2, 2), "done", ask("c3", 3, 3), "done again")
    with terminal(command, env, str(isolated)) as term:
        term.wait_for(">>> ")
        term.send("add", "Enter")
        answer(term, "a", 0)
        term.wait_for("done")
        term.send("more", "Enter")
        term.wait_for("done again")
        term.send("/exit", "Enter")
        shown = term.wait_for("EXIT=")
    assert "EXIT=0" in shown and shown.count(QUESTION) == 1
    assert (isolated / "ran.txt").read_text().splitlines() == ["add 1 1", "add 2 2", "add 3 3"]


def test_ctrl_c_at_the_question_stops_the_turn_and_the_chat_goes_on(isolated: Path) -> None:
    command, env = chat(isolated, ask("c1", 2, 3), "still here")
    with terminal(command, env, str(isolated)) as term:
        term.wait_for(">>> ")
        term.send("add", "Enter")
        answer(term, "C-c", 0)
        term.wait_for("(stopped)")
        term.send("hello", "Enter")
        term.wait_for("still here")
        term.send("C-d")
        shown = term.wait_for("EXIT=")
    assert "EXIT=0" in shown and not (isolated / "ran.txt").exists()
