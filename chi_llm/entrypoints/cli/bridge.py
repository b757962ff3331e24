"""`chi-llm bridge`: the JSON-RPC bridge the terminal UI drives (stdio, one message per line)."""

from __future__ import annotations

import click


@click.command()
@click.option(
    "--backend",
    type=click.Choice(["configured", "fake"]),
    default="configured",
    show_default=True,
    help="fake: scripted, deterministic generation (UI tests, demos).",
)
@click.option(
    "--tool",
    "tools",
    multiple=True,
    metavar="FILE.py[:FUNCTION,...]",
    help="Tools chats may offer the model: a Python file's functions (repeatable). Each call is "
    "shown to the client for approval before it runs.",
)
@click.option(
    "--mcp",
    "servers",
    multiple=True,
    metavar="CMD|URL",
    help="Tools from an MCP server: a command line (started on first use, stopped with the bridge) or "
    "an http(s):// URL (repeatable; needs the mcp extra).",
)
def bridge(backend: str, tools: tuple[str, ...], servers: tuple[str, ...]) -> None:
    """Serve JSON-RPC 2.0 on stdin/stdout for the terminal UI (logs go to stderr)."""
    import os

    from chi_llm.entrypoints.bridge.server import run_stdio
    from chi_llm.entrypoints.bridge.tools import BridgeTools, file_sources, mcp_sources

    if backend == "fake":
        os.environ["CHI_LLM_PROVIDER_TYPE"] = "fake"
        os.environ.pop("CHI_LLM_CONFIG", None)
    run_stdio(BridgeTools([*file_sources(tools), *mcp_sources(servers)]))
