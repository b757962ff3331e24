"""The `chi-llm` command group and its commands (one module per group)."""

from __future__ import annotations

import click

from chi_llm._version import __version__
from chi_llm.entrypoints.cli.chat import chat, interactive
from chi_llm.entrypoints.cli.config import config
from chi_llm.entrypoints.cli.generate import ask, complete, generate
from chi_llm.entrypoints.cli.models import models
from chi_llm.entrypoints.cli.providers import providers


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="chi-llm", message="%(prog)s %(version)s")
def cli() -> None:
    """chi-llm: local-first LLMs. Works with no configuration on a small embedded model."""


for command in (generate, ask, complete, chat, interactive, config, models, providers):
    cli.add_command(command)
