"""`chi-llm ui`: the terminal UI (the `chi-tui` program, driving this chi-llm through the bridge)."""

from __future__ import annotations

import click


@click.command(context_settings={"ignore_unknown_options": True})
@click.option("--rebuild", is_flag=True, help="Build tui/chi-tui with cargo first (in a chi-llm checkout).")
@click.option("--json", "as_json", is_flag=True, help="Errors as JSON.")
@click.option(
    "--tool",
    "tools",
    multiple=True,
    metavar="FILE.py[:FUNCTION,...]",
    help="Tools the chat may offer the model: a Python file's functions (repeatable). "
    "The chat shows each call and asks before it runs.",
)
@click.option(
    "--mcp",
    "servers",
    multiple=True,
    metavar="CMD|URL",
    help="Tools from an MCP server (a command line or an http(s):// URL; repeatable; needs the mcp extra).",
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def ui(rebuild: bool, as_json: bool, tools: tuple[str, ...], servers: tuple[str, ...], args: tuple[str, ...]) -> None:
    """Open the terminal UI: configure providers, test them, save the configuration, chat.

    Arguments after `--` go to chi-tui (e.g. `chi-llm ui -- --log /tmp/tui.log`)."""
    import os
    import subprocess
    import sys

    from chi_llm.domain.errors import ChiLlmError
    from chi_llm.entrypoints.cli import end
    from chi_llm.entrypoints.cli.output import fail
    from chi_llm.entrypoints.tui_launcher import locate

    try:
        program = locate(rebuild=rebuild)
    except ChiLlmError as exc:
        fail(exc, as_json=as_json)
    # The bridge must run on this interpreter: it is the one with this chi-llm installed.
    env = {**os.environ, "CHI_LLM_PYTHON": sys.executable}
    try:
        code = subprocess.call([str(program), *bridge_args(tools, servers), *args], env=env)
    except OSError as exc:
        fail(
            ChiLlmError(f"could not run {program} ({exc}); reinstall it or run `chi-llm ui --rebuild`", backend="tui"),
            as_json=as_json,
        )
    end(code)


def bridge_args(tools: tuple[str, ...], servers: tuple[str, ...] = ()) -> list[str]:
    """chi-tui's arguments that pass the tool sources on to `chi-llm bridge`."""
    sources = [("--tool", spec) for spec in tools] + [("--mcp", spec) for spec in servers]
    return [f"--bridge-arg={arg}" for pair in sources for arg in pair]
