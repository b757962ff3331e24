"""Golden bridge conversations (tui/protocol/fixtures/*.jsonl), replayed against the real bridge.

Each fixture line is one exchange: `{"send": request}` (or `"send_raw": "a line"`), the messages
expected back for it in order — notifications tied to the request, then its response (or, with
`"until"`, up to the response to that id, or the first notification of that method) — and
`ignore`: dotted paths (`*` for any list item) whose values vary from run to run (latencies,
versions). Strings may hold placeholders for what a run creates: $WORK (the project folder),
$HOME (CHI_LLM_HOME), $OLLAMA (a loopback Ollama server's URL), $OLLAMA_PORT (its port, a
number when it is the whole value), $CLOSED (a URL where nothing listens), $CHECKOUT (the
file:// URL of the chi-llm source tree that runs, which llm-requirements.txt installs from) and
$TOOLS (the folder of the tool file the bridge offers).
Set CHI_LLM_RECORD_FIXTURES=1 to rewrite the expectations from what the bridge answers now."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[2] / "tui" / "protocol" / "fixtures"
SCHEMA = FIXTURES.parent / "bridge.schema.json"
TOOL = FIXTURES.parent / "tools" / "calc.py"  # the tool the replayed bridge offers (tools.jsonl)
IGNORED = "<varies>"


def substitute(value: Any, names: dict[str, Any]) -> Any:
    """Placeholders replaced by this run's values (whole-value placeholders keep their type)."""
    if isinstance(value, str):
        if value in names:
            return names[value]
        for name in sorted(names, key=len, reverse=True):
            value = value.replace(name, str(names[name]))
        return value
    if isinstance(value, list):
        return [substitute(v, names) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, names) for k, v in value.items()}
    return value


def generalise(value: Any, names: dict[str, Any]) -> Any:
    """The reverse of `substitute`, for recording: this run's values back to placeholders."""
    if isinstance(value, str):
        for name in sorted(names, key=lambda n: len(str(names[n])), reverse=True):
            if isinstance(names[name], str) and names[name]:
                value = value.replace(names[name], name)
        return value
    if isinstance(value, list):
        return [generalise(v, names) for v in value]
    if isinstance(value, dict):
        return {k: generalise(v, names) for k, v in value.items()}
    return value


def blank(value: Any, path: list[str]) -> Any:
    """`value` with what `path` names replaced by IGNORED (absent stays absent)."""
    if not path:
        return IGNORED
    head, rest = path[0], path[1:]
    if head == "*" and isinstance(value, list):
        return [blank(v, rest) for v in value]
    if isinstance(value, dict) and head in value:
        return {**value, head: blank(value[head], rest)}
    return value


def masked(message: Any, ignore: list[str]) -> Any:
    for dotted in ignore:
        message = blank(message, dotted.split("."))
    return message


class BridgeProcess:
    """The real `chi-llm bridge --backend fake --tool calc.py:add` as a child process, one
    request at a time."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "chi_llm", "bridge", "--backend", "fake", "--tool", f"{TOOL}:add"],
            cwd=cwd,
            env={**os.environ, **env},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    def exchange(self, line: str, rid: Any, until: str | None = None) -> list[dict[str, Any]]:
        """Send one line; read until the response to `rid` (or one error line when the line
        could not be read as a request), or the first notification named `until`."""
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        got: list[dict[str, Any]] = []
        while True:
            text = self.process.stdout.readline()
            assert text, "the bridge closed its output"
            message = json.loads(text)
            got.append(message)
            if until is not None and message.get("method") == until:
                return got
            if "method" not in message and (message.get("id") == rid or rid is None):
                return got

    def close(self) -> int:
        assert self.process.stdin
        self.process.stdin.write(json.dumps({"jsonrpc": "2.0", "id": "bye", "method": "shutdown"}) + "\n")
        self.process.stdin.close()
        return self.process.wait(timeout=60)


def read_fixture(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_fixture(path: Path, exchanges: list[dict[str, Any]]) -> None:
    text = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in exchanges)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


ROOT = json.loads(SCHEMA.read_text(encoding="utf-8"))
