"""Running the `chi-llm` CLI in-process, and a loopback port nobody listens on."""

from __future__ import annotations

import socket

from click.testing import CliRunner, Result

from chi_llm.entrypoints.cli import cli


def run(*args: str, stdin: str | None = None) -> Result:
    """`chi-llm ARGS` in-process; exceptions other than SystemExit propagate."""
    return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)


def out(result: Result) -> str:
    return result.stdout


def closed_port() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
