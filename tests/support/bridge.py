"""JSON-RPC request lines for the bridge, and a conversation with the real bridge process."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any


def request(rid: int | str | None, method: str, **params: Any) -> str:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
    if rid is not None:
        message["id"] = rid
    return json.dumps(message)


def converse(*lines: str, env: dict[str, str] | None = None) -> dict[Any, dict[str, Any]]:
    """Run the real bridge on these lines (then shutdown); responses by id, notifications under
    their method."""
    import os

    done = subprocess.run(
        [sys.executable, "-m", "chi_llm", "bridge"],
        input="\n".join([*lines, request("bye", "shutdown")]) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, done.stderr
    out: dict[Any, dict[str, Any]] = {}
    for line in done.stdout.splitlines():
        message = json.loads(line)  # stdout carries protocol messages only
        assert message["jsonrpc"] == "2.0"
        out.setdefault(message.get("id", message.get("method")), message)
    return out
