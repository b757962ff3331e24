"""`chi-llm chat --mcp CMD` as a process: the MCP server's tools are offered, a call runs on the
server, and the server's process is gone when the chat ends."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from tests.support.mcp_servers import read_pid, running, server_command


def chat(work: Path, replies: list[object], *flags: str) -> subprocess.CompletedProcess[str]:
    config = {"provider": {"type": "fake", "replies": replies}}
    return subprocess.run(
        [sys.executable, "-m", "chi_llm", "chat", *flags],
        input="2 times 3, then add 1?\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=work,
        env={**os.environ, "CHI_LLM_CONFIG": json.dumps(config)},
    )


def test_an_mcp_servers_tools_run_in_the_chat_and_the_server_stops_with_it(isolated: Path) -> None:
    pid_file = isolated / "server.pid"
    command = shlex.join(server_command("--pid-file", str(pid_file)))
    ask = {"tool_calls": [{"name": "math_mul", "arguments": {"a": 2, "b": 3}, "id": "c1"}]}
    then = {"tool_calls": [{"name": "add", "arguments": {"a": 6, "b": 1}, "id": "c2"}]}
    done = chat(isolated, [ask, then, "It is 7."], "--mcp", command, "--yes", "--json")
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    results = [e for e in events if e.get("event") == "result"]
    assert [(r["name"], r["content"], r["is_error"]) for r in results] == [
        ("math_mul", "6", False),
        ("add", "7", False),
    ]
    assert events[-1]["event"] == "answer" and events[-1]["text"] == "It is 7."
    assert not running(read_pid(pid_file))


def test_mcp_and_file_tools_together_and_a_server_that_cannot_start_is_a_clear_error(isolated: Path) -> None:
    (isolated / "tools.py").write_text("def shout(text: str) -> str:\n    return text.upper()\n")
    ask = {"tool_calls": [{"name": "shout", "arguments": {"text": "hi"}, "id": "c1"}]}
    command = shlex.join(server_command())
    done = chat(isolated, [ask, "done"], "--tool", "tools.py", "--mcp", command, "--yes", "--json")
    assert done.returncode == 0, done.stderr
    assert [json.loads(line).get("content") for line in done.stdout.splitlines()][1] == "HI"
    broken = chat(isolated, ["x"], "--mcp", "no-such-program-here --flag", "--yes", "PROMPT")
    assert broken.returncode != 0 and "Traceback" not in broken.stderr
    assert "no-such-program-here" in broken.stderr
