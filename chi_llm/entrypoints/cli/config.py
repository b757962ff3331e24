"""`chi-llm config show | set | unset | migrate`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from chi_llm.domain.errors import InvalidRequest
from chi_llm.entrypoints.cli import output
from chi_llm.entrypoints.cli.options import json_option, scope_options


def refuse_secrets(key: str, value: str) -> None:
    """An API key on the command line, as `provider.api_key` or inside a JSON value, is refused."""
    from chi_llm.entrypoints.wiring import provider_schemas

    schemas = provider_schemas()
    secrets = {name for kind in schemas for name in schemas[kind].secrets}
    field = key.partition(".")[2]
    try:
        parsed: Any = json.loads(value)
    except (ValueError, RecursionError):  # not JSON, or JSON nested too deeply: checked when set
        parsed = None
    if field in secrets or _names(parsed) & secrets:
        raise InvalidRequest(
            "never put an API key on the command line: use `chi-llm providers set ID --api-key-stdin` "
            "or the provider's environment variable (e.g. OPENAI_API_KEY)"
        )


def _names(value: Any) -> set[str]:
    """Every mapping key inside a JSON value (walked without recursion: it may nest deeply)."""
    names: set[str] = set()
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            names |= set(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return names


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
    from chi_llm.entrypoints.wiring import wire

    settings = wire(config_path).settings()
    if as_json:
        output.emit_json(settings.public(explain=explain))
        return
    shown = settings.public(explain=True)
    width = max(len(k) for k in shown)
    values = {key: "(not set)" if entry["value"] is None else str(entry["value"]) for key, entry in shown.items()}
    column = max(len(v) for v in values.values())
    for key, entry in shown.items():
        if explain:
            output.line(f"{key.ljust(width)}  {values[key].ljust(column)}  [{entry['source']}]")
        else:
            output.line(f"{key.ljust(width)}  {values[key]}")


@config.command("unset")
@click.argument("key")
@scope_options
@json_option
@output.guarded()
def unset(key: str, scope: str, as_json: bool) -> None:
    """Remove KEY from the project (default) or global file; the other sources decide it again."""
    from chi_llm.entrypoints.wiring import configuration

    removed = configuration().unset_value(key, "global" if scope == "global" else "project")
    if as_json:
        output.emit_json({"key": key, "scope": scope, "removed": removed})
    else:
        output.note(f"removed {key} from the {scope} file" if removed else f"{key} was not set in the {scope} file")


@config.command("set")
@click.argument("key")
@click.argument("value")
@scope_options
@json_option
@output.guarded()
def set_(key: str, value: str, scope: str, as_json: bool) -> None:
    """Set KEY to VALUE in the project (default) or global file, keeping the file's other keys.

    Dotted keys set one provider field, e.g. `provider.type fake`. API keys are refused here
    (a command line is visible to other users and kept in shell history).
    """
    from chi_llm.entrypoints.wiring import configuration

    refuse_secrets(key, value)
    path: Path = configuration().set_value(key, value, "global" if scope == "global" else "project")
    if as_json:
        output.emit_json({"key": key, "value": value, "scope": scope, "path": str(path)})
    else:
        output.note(f"set {key} in {path}")


@config.command("migrate")
@scope_options
@json_option
@output.guarded()
def migrate(scope: str, as_json: bool) -> None:
    """Rewrite the project (default) or global file from chi_llm 2.x keys (default_model,
    provider host/port, provider_profiles, ...) to today's, keeping every value it means."""
    from chi_llm.entrypoints.wiring import configuration

    path, changes = configuration().migrate("global" if scope == "global" else "project")
    if as_json:
        output.emit_json({"path": str(path), "scope": scope, "changed": changes})
    elif changes:
        output.note(f"rewrote {path} with today's keys")
    else:
        output.note(f"{path} already uses today's keys; nothing to change")
