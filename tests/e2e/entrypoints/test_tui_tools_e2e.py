"""Tool calls in chi-tui's chat end to end: `chi-llm ui --tool calc.py:add` in tmux (80x24), the
real bridge on the fake backend scripted to call the tool. The call shows and waits; y runs it
and its result and the answer show; n refuses it and the model's next turn shows. A tool file
that does not exist is said in the chat, which goes on without it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.tmux import terminal
from tests.support.tui_session import CHI_LLM, NEEDS_TUI, env, ready

pytestmark = NEEDS_TUI
CALL = {"tool_calls": [{"name": "add", "arguments": {"a": 2, "b": 3}}]}
SCRIPT = json.dumps({"provider": {"type": "fake", "replies": [CALL, "Here is what the tool said."]}})


def ui_with(tool: str, log: Path) -> str:
    return f"{CHI_LLM} ui --tool {tool} -- --log {log}"


def test_a_call_is_asked_about_run_on_y_and_refused_on_n(isolated: Path, tmp_path: Path) -> None:
    (isolated / "calc.py").write_text('def add(a: int, b: int) -> int:\n    """Add."""\n    return a + b\n')
    command = ui_with("calc.py:add", tmp_path / "tui.log")
    with terminal(command, env(CHI_LLM_CONFIG=SCRIPT), str(isolated), width=80, height=24) as term:
        ready(term)
        term.send("1")
        term.wait_for("tools: add")
        term.send("-l", "add 2 and 3")
        term.send("Enter")
        shown = term.wait_for("run it? y yes · n no · a always for add")
        assert "⚙   add(a=2, b=3)" in shown and "y run it" in shown  # the call, and the keys' help line
        term.send("y")
        shown = term.wait_for("llm Here is what the tool said.")
        assert "→ 5" in shown

        term.send("-l", "once more")
        term.send("Enter")
        term.wait_for("a always for add")
        term.send("n")
        shown = term.wait_for("✗ the application refused to run tool 'add'")
        shown = term.wait_for("tok/s")
        assert shown.count("llm Here is what the tool said.") == 2  # the model's turn after the refusal
        assert shown.count("→ 5") == 1  # the refused call did not run
        term.send("Escape")
        term.wait_for("Configure a provider")
        term.send("q")
        term.wait_for("EXIT=0")


def test_a_tool_file_that_does_not_load_is_said_in_the_chat(isolated: Path, tmp_path: Path) -> None:
    command = ui_with("missing.py", tmp_path / "tui.log")
    with terminal(command, env(CHI_LLM_CONFIG=json.dumps({"provider": {"type": "fake"}})), str(isolated)) as term:
        ready(term)
        term.send("1")
        shown = term.wait_for("not loaded")
        assert "missing.py" in shown and "does not exist" in shown
        term.send("-l", "hello")
        term.send("Enter")
        term.wait_for("llm Echo: hello")  # the chat goes on without the tools
        term.send("Escape")
        term.wait_for("Configure a provider")
        term.send("q")
        term.wait_for("EXIT=0")
