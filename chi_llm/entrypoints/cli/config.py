"""`chi-llm config show | set`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import rich_click as click

from chi_llm.entrypoints.cli import output

SECRET_HINTS = ("key", "token", "secret", "password")


def masked(value: Any) -> Any:
    """Provider settings with secret-looking fields replaced by whether they are set."""
    if isinstance(value, Mapping):
        return {
            k: ("<set>" if v else "<unset>") if any(h in k.lower() for h in SECRET_HINTS) else v
            for k, v in value.items()
        }
    return value


@click.group()
def config() -> None:
    """Show or change configuration."""


@config.command("show")
@click.option("--explain", is_flag=True, help="Show which source set each value.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--config-path", help="Also read this configuration file (as MicroLLM(config_path=...) does).")
@output.guarded()
def show(explain: bool, as_json: bool, config_path: str | None) -> None:
    """Show the effective configuration (arguments > env > project file > global file > defaults)."""
    from pathlib import Path

    from chi_llm.entrypoints.container import config_service

    settings = config_service().resolve(None, Path(config_path) if config_path else None)
    rows = [(s.key, masked(s.value), s.source) for s in settings.explain()]
    if as_json:
        output.emit_json(
            {k: {"value": v, "source": src} for k, v, src in rows} if explain else {k: v for k, v, _ in rows}
        )
        return
    width = max(len(k) for k, _, _ in rows)
    for key, value, source in rows:
        shown = "(not set)" if value is None else value
        output.line(f"{key.ljust(width)}  {shown}" + (f"    [{source}]" if explain else ""))


@config.command("set")
@click.argument("key")
@click.argument("value")
@click.option("--project", "scope", flag_value="project", default=True, help="Write the project file (default).")
@click.option("--global", "scope", flag_value="global", help="Write the global file.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@output.guarded()
def set_(key: str, value: str, scope: str, as_json: bool) -> None:
    """Set KEY to VALUE in the project (default) or global file, keeping the file's other keys.

    Dotted keys set one provider field, e.g. `provider.type fake`.
    """
    from chi_llm.entrypoints.container import config_service

    path = config_service().set_value(key, value, "global" if scope == "global" else "project")
    if as_json:
        output.emit_json({"key": key, "value": value, "scope": scope, "path": str(path)})
    else:
        output.note(f"set {key} in {path}")
