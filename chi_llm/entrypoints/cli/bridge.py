"""`chi-llm bridge`: the JSON-RPC bridge the terminal UI drives (stdio, one message per line)."""

from __future__ import annotations

import click


@click.command()
def bridge() -> None:
    """Serve JSON-RPC 2.0 on stdin/stdout for the terminal UI (logs go to stderr)."""
    from chi_llm.entrypoints.bridge.server import run_stdio

    run_stdio()
