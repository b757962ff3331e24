"""`chi-llm bridge --mcp CMD`: the MCP server's tools are listed and called in a chat (with the
client's approval), and the server stops when the bridge shuts down; a server that cannot start
is reported by tools/list, the bridge going on without it."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

from tests.support.bounded import within
from tests.support.bridge import request
from tests.support.mcp_servers import read_pid, running, server_command


def read_until(out: IO[str], wanted: Any) -> list[dict[str, Any]]:
    """Messages up to the answer to request `wanted` (an id) or the notification `wanted` (a method)."""
    seen = []
    while True:
        line = out.readline()
        assert line, "the bridge closed its output"
        message = json.loads(line)
        seen.append(message)
        if message.get("id") == wanted or message.get("method") == wanted:
            return seen


def send(process: subprocess.Popen[str], line: str) -> None:
    assert process.stdin is not None
    process.stdin.write(line + "\n")
    process.stdin.flush()


def test_an_mcp_servers_tools_are_listed_called_and_stopped_with_the_bridge(tmp_path: Path) -> None:
    pid_file = tmp_path / "server.pid"
    command = shlex.join(server_command("--pid-file", str(pid_file)))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chi_llm",
            "bridge",
            "--backend",
            "fake",
            "--mcp",
            command,
            "--mcp",
            "no-such-program-x",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    try:
        with within(90):
            send(process, request(1, "tools/list"))
            listing = read_until(process.stdout, 1)[-1]["result"]
            assert {"math_mul", "add", "echo"} <= {t["name"] for t in listing["tools"]}
            assert [e["source"] for e in listing["errors"]] == ["no-such-program-x"]
            assert "no-such-program-x" in listing["errors"][0]["message"]
            replies = [{"tool_calls": [{"name": "math_mul", "arguments": {"a": 6, "b": 7}, "id": "c1"}]}, "42."]
            provider = {"type": "fake", "replies": replies}
            send(process, request(2, "generate/start", prompt="6 times 7?", tools=["math_mul"], provider=provider))
            asked = read_until(process.stdout, "generate/tool_approval")[-1]["params"]
            send(process, request(3, "generate/approve", approval_id=asked["approval_id"], allow=True))
            seen = read_until(process.stdout, 2)
            results = [m["params"] for m in seen if m.get("method") == "generate/tool_result"]
            assert [(r["name"], r["content"], r["is_error"]) for r in results] == [("math_mul", "42", False)]
            assert seen[-1]["result"]["text"] == "42."
            assert running(read_pid(pid_file))
            send(process, request(4, "shutdown"))
            assert process.wait(60) == 0
        assert not running(read_pid(pid_file))
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)
