"""`chi-llm chat --tool FILE.py:function` through click's runner on the fake backend, whose replies
script the model's calls: each call and result shown, refused without a terminal unless --yes,
--json as one object per line, the loop's limits as exit codes, and the REPL keeping the tool
turns in the conversation. (Approval on a real terminal: tests/e2e/entrypoints/test_chat_tools_e2e.py.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chi_llm.adapters.fake import FakeTextGenerator
from tests.support.cli import run
from tests.support.servers.base import Server, serve
from tests.support.servers.ollama import OllamaHandler
from tests.support.servers.openai import OpenAIHandler

TOOLS = '''
import pathlib
import time


def add(a: int, b: int) -> int:
    """Add two numbers."""
    pathlib.Path("ran.txt").open("a").write(f"add {a} {b}\\n")
    return a + b


def shout(text: str) -> str:
    """Say it louder."""
    return (text.upper() + " ") * 40


def noisy() -> str:
    """Print while working."""
    print("working hard")
    return "done"


def nap(seconds: float) -> str:
    """Sleep a while."""
    time.sleep(seconds)
    return "rested"
'''


def ask(name: str, call_id: str = "c1", content: str = "", **arguments: Any) -> dict[str, Any]:
    return {"content": content, "tool_calls": [{"name": name, "arguments": arguments, "id": call_id}]}


@pytest.fixture
def tools_file(isolated: Path) -> Path:
    path = isolated / "tools.py"
    path.write_text(TOOLS)
    return path


def script(monkeypatch: pytest.MonkeyPatch, *replies: str | dict[str, Any]) -> None:
    monkeypatch.setenv("CHI_LLM_CONFIG", json.dumps({"provider": {"type": "fake", "replies": list(replies)}}))


def ran(isolated: Path) -> list[str]:
    done = isolated / "ran.txt"
    return done.read_text().splitlines() if done.exists() else []


def test_yes_runs_the_call_and_shows_the_call_and_its_result(
    monkeypatch: pytest.MonkeyPatch, tools_file: Path, isolated: Path
) -> None:
    script(monkeypatch, ask("add", content="Let me add.", a=2, b=3), "It is 5.")
    result = run("chat", "2+3?", "--tool", "tools.py:add", "--yes")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Let me add.\nIt is 5.\n"
    assert "tool add(a=2, b=3)\n  → 5\n" in result.stderr
    assert ran(isolated) == ["add 2 3"]


def test_without_a_terminal_or_yes_the_call_is_refused_and_the_user_told(
    monkeypatch: pytest.MonkeyPatch, tools_file: Path, isolated: Path
) -> None:
    script(monkeypatch, ask("add", a=2, b=3), "I may not add.")
    result = run("chat", "--tool", "tools.py", stdin="2+3?\n")  # piped: the REPL reads lines
    assert result.exit_code == 0
    assert ran(isolated) == []
    assert "tool add not run: there is no terminal to ask on; pass --yes" in result.stderr
    assert "✗ refused: the application refused to run tool 'add'" in result.stderr
    assert "I may not add." in result.stdout


def test_json_prints_each_call_result_and_answer_on_a_line(monkeypatch: pytest.MonkeyPatch, tools_file: Path) -> None:
    script(monkeypatch, ask("add", a=2, b=3), ask("nope", call_id="c2"), "It is 5.")
    result = run("chat", "2+3?", "--tool", "tools.py:add", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[:4] == [
        {"event": "call", "round": 1, "id": "c1", "name": "add", "arguments": {"a": 2, "b": 3}},
        {"event": "result", "round": 1, "id": "c1", "name": "add", "status": "ok", "is_error": False, "content": "5"},
        {"event": "call", "round": 2, "id": "c2", "name": "nope", "arguments": {}},
        {
            "event": "result",
            "round": 2,
            "id": "c2",
            "name": "nope",
            "status": "invalid",
            "is_error": True,
            "content": "the model called tool 'nope', which was not offered (offered: add)",
        },
    ]
    answer = events[4]
    assert (answer["event"], answer["text"], answer["rounds"], answer["calls"]) == ("answer", "It is 5.", 3, 2)
    assert {"finish_reason", "usage", "timings", "provider", "fallback"} <= set(answer) and len(events) == 5


def test_json_lines_stay_json_when_a_tool_prints(monkeypatch: pytest.MonkeyPatch, tools_file: Path) -> None:
    script(monkeypatch, ask("noisy"), "ok")
    result = run("chat", "go", "--tool", "tools.py:noisy", "--yes", "--json")
    assert [json.loads(line)["event"] for line in result.stdout.splitlines()] == ["call", "result", "answer"]
    assert "working hard" in result.stderr


def test_json_without_tools_prints_one_answer_per_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    script(monkeypatch, "one", "two")
    result = run("chat", "--json", stdin="a\nb\n")
    assert result.exit_code == 0 and ">>>" not in result.stdout
    assert [json.loads(line)["text"] for line in result.stdout.splitlines()] == ["one", "two"]


def test_results_show_on_one_clipped_line_unless_verbose(monkeypatch: pytest.MonkeyPatch, tools_file: Path) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    for flags, whole in (((), False), (("--verbose",), True)):
        script(monkeypatch, ask("shout", text="hi\x1b[2J"), "done")
        result = run("chat", "go", "--tool", "tools.py:shout", "-y", *flags)
        shown = [line for line in result.stderr.splitlines() if line.startswith("  → ")]
        assert "\x1b" not in result.stderr and "HI\\x1b[2J" in result.stderr  # no escape reaches the terminal
        if whole:
            assert result.stderr.count("HI\\x1b[2J") == 40
        else:
            assert len(shown) == 1 and len(shown[0]) == 60 and shown[0].endswith("…")


def test_a_hanging_tool_times_out_into_an_error_result(monkeypatch: pytest.MonkeyPatch, tools_file: Path) -> None:
    script(monkeypatch, ask("nap", seconds=30), "gave up")
    result = run("chat", "sleep", "--tool", "tools.py:nap", "--yes", "--tool-timeout", "0.2")
    assert result.exit_code == 0 and "gave up" in result.stdout
    assert "✗ timeout: tool 'nap' did not finish within 0.2 s" in result.stderr


@pytest.mark.parametrize("seconds", ["0", "-1", "nan", "inf", "1e309", "86401"])
def test_a_timeout_that_is_no_number_of_seconds_is_a_usage_error(tools_file: Path, seconds: str) -> None:
    result = run("chat", "hi", "--tool", "tools.py:add", "-y", "--tool-timeout", seconds)
    assert result.exit_code == 2 and "give seconds above 0, up to 86400" in result.stderr


def test_the_round_limit_is_an_exit_code_one_shot_and_a_line_in_the_repl(
    monkeypatch: pytest.MonkeyPatch, tools_file: Path
) -> None:
    script(monkeypatch, ask("add", a=1, b=1), ask("add", call_id="c2", a=1, b=1))
    once = run("chat", "go", "--tool", "tools.py:add", "-y", "--max-rounds", "1")
    assert once.exit_code == 2 and "chi-llm: error: the model still asked for tool calls in round 1" in once.stderr
    script(monkeypatch, ask("add", a=1, b=1), ask("add", call_id="c2", a=1, b=1))
    as_json = run("chat", "go", "--tool", "tools.py:add", "-y", "--max-rounds", "1", "--json")
    last = json.loads(as_json.stdout.splitlines()[-1])
    assert as_json.exit_code == 2 and last["error"]["kind"] == "tool_loop_limit"
    script(monkeypatch, ask("add", a=1, b=1), "after")
    repl = run("chat", "--tool", "tools.py:add", "-y", "--max-rounds", "1", stdin="go\nagain\n")
    assert repl.exit_code == 0 and "max_rounds=1" in repl.stderr and "after" in repl.stdout


def test_a_bad_tool_file_fails_before_the_model_is_asked(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script(monkeypatch, "never")
    result = run("chat", "hi", "--tool", "missing.py:add")
    assert result.exit_code == 2 and "tool file 'missing.py' does not exist" in result.stderr
    assert result.stdout == ""


@pytest.fixture
def recorded(isolated: Path) -> Iterator[FakeTextGenerator]:
    """An OpenAI-protocol server on loopback as the provider; its engine records what is sent."""
    engine = FakeTextGenerator([ask("add", a=2, b=3), "It is 5.", "You asked 2+3."], models=("m",))
    with serve(OpenAIHandler, Server(engine=engine)) as server:
        provider = {"type": "openai", "base_url": server.url + "/v1", "model": "m"}
        (isolated / ".chi_llm.json").write_text(json.dumps({"provider": provider}))
        yield engine


def test_the_repl_keeps_tool_turns_in_the_conversation(recorded: FakeTextGenerator, tools_file: Path) -> None:
    result = run("chat", "--tool", "tools.py:add", "--yes", stdin="2+3?\nwhat did I ask?\n/exit\n")
    assert result.exit_code == 0, result.stderr
    assert "It is 5." in result.stdout and "You asked 2+3." in result.stdout
    assert "with tools add" in result.stderr
    last = recorded.requests[-1]
    assert [(m.role, m.content) for m in last.messages] == [
        ("user", "2+3?"),
        ("assistant", ""),
        ("tool", "5"),
        ("assistant", "It is 5."),
        ("user", "what did I ask?"),
    ]
    assert last.options.tools is not None and [t.name for t in last.options.tools.tools] == ["add"]


def test_calls_without_ids_in_later_rounds_are_each_shown_under_ids_of_their_own(
    tools_file: Path, isolated: Path
) -> None:
    # Ollama's calls carry no ids (each answer's are numbered from 0): the second round's call
    # must not pass for the first one, already shown.
    engine = FakeTextGenerator([ask("add", a=1, b=2), ask("add", a=3, b=4), "done"], models=("m",))
    with serve(OllamaHandler, Server(engine=engine)) as server:
        provider = {"type": "ollama", "base_url": server.url, "model": "m"}
        (isolated / ".chi_llm.json").write_text(json.dumps({"provider": provider}))
        result = run("chat", "go", "--tool", "tools.py:add", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    calls = [e for e in map(json.loads, result.stdout.splitlines()) if e["event"] == "call"]
    assert [c["arguments"] for c in calls] == [{"a": 1, "b": 2}, {"a": 3, "b": 4}]
    assert len({c["id"] for c in calls}) == 2
    assert ran(isolated) == ["add 1 2", "add 3 4"]


def test_the_call_asked_about_is_shown_whole_and_as_written(monkeypatch: pytest.MonkeyPatch, tools_file: Path) -> None:
    text = "x" * 150 + "   && rm -rf ~"
    script(monkeypatch, ask("shout", text=text), "done")
    result = run("chat", "go", "--tool", "tools.py:shout", "--yes")
    assert result.exit_code == 0, result.stderr
    assert f"tool shout(text={json.dumps(text)})" in result.stderr
