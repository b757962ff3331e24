"""The `chi-llm` command group. Commands live one module per group and are imported when used:
`chi-llm generate` does not load the models, providers or chat code (benchmarks/bench_core.py)."""

from __future__ import annotations

import importlib
from typing import Any

import click

from chi_llm._version import __version__

COMMANDS = {
    "generate": "chi_llm.entrypoints.cli.generate:generate",
    "ask": "chi_llm.entrypoints.cli.generate:ask",
    "complete": "chi_llm.entrypoints.cli.generate:complete",
    "chat": "chi_llm.entrypoints.cli.chat:chat",
    "interactive": "chi_llm.entrypoints.cli.chat:interactive",
    "config": "chi_llm.entrypoints.cli.config:config",
    "models": "chi_llm.entrypoints.cli.models:models",
    "providers": "chi_llm.entrypoints.cli.providers:providers",
    "diagnostics": "chi_llm.entrypoints.cli.diagnostics:diagnostics",
    "bootstrap": "chi_llm.entrypoints.cli.project:bootstrap",
    "setup": "chi_llm.entrypoints.cli.setup:setup",
    "rag": "chi_llm.entrypoints.cli.rag:rag",
    "bridge": "chi_llm.entrypoints.cli.bridge:bridge",
    "ui": "chi_llm.entrypoints.cli.ui:ui",
    "extract": "chi_llm.entrypoints.cli.structured:extract",
    "classify": "chi_llm.entrypoints.cli.structured:classify",
    "summarize": "chi_llm.entrypoints.cli.tasks:summarize",
    "translate": "chi_llm.entrypoints.cli.tasks:translate",
    "analyze": "chi_llm.entrypoints.cli.tasks:analyze",
    "template": "chi_llm.entrypoints.cli.tasks:template",
    "serve": "chi_llm.entrypoints.cli.serve:serve",
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context | None, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, name = target.partition(":")
        command: Any = getattr(importlib.import_module(module), name)
        return command if isinstance(command, click.Command) else None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="chi-llm", message="%(prog)s %(version)s")
def cli() -> None:
    """chi-llm: local-first LLMs. Works with no configuration on a small embedded model."""
