"""`chi-llm config show | set`."""

from __future__ import annotations

from pathlib import Path

import click

from chi_llm.entrypoints.cli import output
from chi_llm.entrypoints.cli.options import json_option, scope_options


@click.group()
def config() -> None:
    """Show or change configuration."""


@config.command("show")
@click.option("--explain", is_flag=True, help="Show which source set each value.")
@json_option
@click.option("--config-path", help="Also read this configuration file (as MicroLLM(config_path=...) does).")
@output.guarded()
def show(explain: bool, as_json: bool, config_path: str | None) -> None:
    """Show the effective configuration (arguments > env > project file > global file > defaults).

    Secrets (API keys) are shown only as whether they are set."""
    from chi_llm.entrypoints.bootstrap import bootstrap

    settings = bootstrap(config_path).settings()
    if as_json:
        output.emit_json(settings.public(explain=explain))
        return
    shown = settings.public(explain=True)
    width = max(len(k) for k in shown)
    for key, entry in shown.items():
        value = "(not set)" if entry["value"] is None else entry["value"]
        output.line(f"{key.ljust(width)}  {value}" + (f"    [{entry['source']}]" if explain else ""))


@config.command("set")
@click.argument("key")
@click.argument("value")
@scope_options
@json_option
@output.guarded()
def set_(key: str, value: str, scope: str, as_json: bool) -> None:
    """Set KEY to VALUE in the project (default) or global file, keeping the file's other keys.

    Dotted keys set one provider field, e.g. `provider.type fake`.
    """
    from chi_llm.entrypoints.bootstrap import configuration

    path: Path = configuration().set_value(key, value, "global" if scope == "global" else "project")
    if as_json:
        output.emit_json({"key": key, "value": value, "scope": scope, "path": str(path)})
    else:
        output.note(f"set {key} in {path}")
