"""The test MCP server (tests/support/mcp_server.py, written with the official SDK) as a
command, or serving streamable HTTP on 127.0.0.1 in a subprocess stopped when the test ends;
and whether a server's process is still running."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SERVER = Path(__file__).resolve().with_name("mcp_server.py")


def server_command(*args: str) -> list[str]:
    return [sys.executable, str(SERVER), *args]


def running(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def read_pid(path: Path) -> int:
    return int(path.read_text(encoding="utf-8"))


@contextmanager
def http_server(*args: str, timeout: float = 30) -> Iterator[str]:
    """The server on streamable HTTP: yields its URL (`http://127.0.0.1:PORT/mcp`)."""
    process = subprocess.Popen(server_command("--http", *args), stdout=subprocess.PIPE, text=True)
    first: list[str] = []
    reader = threading.Thread(target=lambda: first.append(process.stdout.readline() if process.stdout else ""))
    reader.start()
    reader.join(timeout)
    try:
        if not first or not first[0].startswith("PORT "):
            raise RuntimeError(f"the test MCP server did not start: {first!r}")
        yield f"http://127.0.0.1:{int(first[0].split()[1])}/mcp"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        if process.stdout:
            process.stdout.close()
