"""The `chi-llm` command line.

Commands are declared with click; rich-click renders help. rich-click is loaded (and patched into
click, its documented mode) only when help will be shown, so a generation does not pay for it at
start-up: `chi-llm generate` starts ~30 ms sooner (benchmarks/bench_core.py).
"""

from __future__ import annotations

import sys
from typing import Any

from chi_llm.entrypoints.lean_imports import use_lean_imports

HELP_FLAGS = ("-h", "--help")


def wants_help(argv: list[str]) -> bool:
    """Help will be shown: a help flag, or a bare `chi-llm` / `chi-llm GROUP` (which print help)."""
    return any(arg in HELP_FLAGS for arg in argv) or len(argv) <= 1


def use_rich_help() -> None:
    """Make click build rich-click commands (call before the commands are imported)."""
    from rich_click.patch import patch

    patch()


def main() -> None:
    use_lean_imports()  # this process is ours: skip dependency-injector's unused integrations
    if wants_help(sys.argv[1:]):
        use_rich_help()
    from chi_llm.entrypoints.cli import output
    from chi_llm.entrypoints.cli.app import cli

    output.route_warnings()
    cli(prog_name="chi-llm")


def __getattr__(name: str) -> Any:
    if name == "cli":  # the click group, for embedding and tests
        from chi_llm.entrypoints.cli.app import cli

        return cli
    raise AttributeError(name)
