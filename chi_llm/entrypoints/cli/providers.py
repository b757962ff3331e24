"""`chi-llm providers ...`: list, schema, current, set, add, remove, test, discover-models, find-url."""

from __future__ import annotations

import json
import sys
from typing import Any, Literal

import click

from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.results import to_json
from chi_llm.entrypoints.cli import output
from chi_llm.entrypoints.cli.options import chosen_scope_options, json_option, parse_tags, scope_options

Scope = Literal["project", "global"]


def service() -> Any:
    """The provider use cases over the resolved configuration."""
    from chi_llm.entrypoints.wiring import wire

    return wire(check_model=False).provider_service()


def parse_settings(pairs: tuple[str, ...]) -> dict[str, Any]:
    """`key=value` pairs; values are read as JSON when they parse (numbers, booleans), else text."""
    settings: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InvalidRequest(f"settings are key=value, got {pair!r}")
        if key == "api_key":
            raise InvalidRequest("never put an API key on the command line: use --api-key-stdin or an env variable")
        try:
            settings[key] = json.loads(value)
        except RecursionError:
            raise InvalidRequest(f"setting {key!r}: its JSON is nested too deeply; give a flat value") from None
        except ValueError:
            settings[key] = value
    return settings


def read_key(from_stdin: bool) -> dict[str, Any]:
    if not from_stdin:
        return {}
    key = sys.stdin.readline().strip() if not sys.stdin.isatty() else click.prompt("API key", hide_input=True)
    if not key:
        raise InvalidRequest("no API key was given on standard input")
    return {"api_key": key}


KEY_IN_PROJECT = click.option(
    "--key-in-project",
    is_flag=True,
    help="Allow writing the API key into the project file (often committed: keep it out of version control).",
)


def where_keys_go(scope: str | None, has_key: bool, key_in_project: bool) -> Scope:
    """The file a change goes to. An API key goes to the user's global file unless the project
    file is asked for explicitly, with --key-in-project (and a warning)."""
    if not has_key:
        return "global" if scope == "global" else "project"
    if scope == "project":
        if not key_in_project:
            raise InvalidRequest(
                "an API key in the project file is easily committed with it: leave out --project (keys go to "
                "your global file, readable only by you), use the provider's environment variable, or pass "
                "--key-in-project to write it there anyway"
            )
        output.note("chi-llm: warning: the API key goes into the project file; keep it out of version control")
        return "project"
    return "global"


def embedded(*, alone: bool) -> str:
    """How listings describe the embedded model, which is in no file (fallback_to_local)."""
    return "the embedded model: built in, " + ("the default" if alone else "the last-resort fallback")


@click.group()
def providers() -> None:
    """Configure providers (local llama.cpp, LM Studio, Ollama, OpenAI-compatible, Anthropic, Gemini)."""


@providers.command("list")
@json_option
@output.guarded()
def list_(as_json: bool) -> None:
    """Configured provider profiles (secrets shown only as set / not set)."""
    rows = to_json(service().list_profiles())
    if as_json:
        output.emit_json(rows)
        return
    for row in rows:
        mark = "*" if row["default"] else " "
        if row["fallback"]:
            output.line(f"{mark} {row['id']:<16} {row['type']:<10} {embedded(alone=len(rows) == 1)}")
            continue
        settings = ", ".join(f"{k}={v}" for k, v in row["settings"].items())
        output.line(
            f"{mark} {row['id']:<16} {row['type']:<10} prio {row['priority']:<4} "
            f"tags [{', '.join(row['tags'])}] {settings}"
        )


@providers.command()
@json_option
@output.guarded()
def schema(as_json: bool) -> None:
    """Each provider type's fields: name, type, required, default, help, options."""
    from chi_llm.entrypoints.wiring import provider_schemas

    data = {"providers": to_json(list(provider_schemas().values()))}
    if as_json:
        output.emit_json(data)
        return
    for entry in data["providers"]:
        output.line(entry["type"])
        for f in entry["fields"]:
            need = " (required)" if f["required"] else ""
            default = f" [default {f['default']}]" if f["default"] is not None else ""
            output.line(f"  {f['name']:<16} {f['type']:<7}{need}{default}  {f['help']}")


@providers.command()
@click.option("--provider", help="A provider id or type to resolve instead of the configured order.")
@click.option("--tags", help="Required tags, comma-separated.")
@json_option
@output.guarded()
def current(provider: str | None, tags: str | None, as_json: bool) -> None:
    """The providers generation uses now, in the order they are tried."""
    rows = to_json(service().current(provider, parse_tags(tags)))
    if as_json:
        output.emit_json(rows)
        return
    for index, row in enumerate(rows):
        keys = ", ".join(f"{k}={v}" for k, v in row["settings"].items())
        said = embedded(alone=len(rows) == 1) if row["fallback"] else keys
        output.line(f"{index + 1}. {row['id']} ({row['type']}) {said}".rstrip())


@providers.command()
@click.argument("provider_id")
@click.option("--type", "kind", required=True, help="Provider type (see `providers schema`).")
@click.option("--set", "pairs", multiple=True, help="A setting as key=value (repeatable).")
@click.option("--tags", help="Comma-separated tags.")
@click.option("--priority", type=int, default=100, show_default=True, help="Lower is tried first.")
@click.option("--api-key-stdin", is_flag=True, help="Read the API key from standard input (or a hidden prompt).")
@KEY_IN_PROJECT
@chosen_scope_options
@json_option
@output.guarded()
def add(
    provider_id: str,
    kind: str,
    pairs: tuple[str, ...],
    tags: str | None,
    priority: int,
    api_key_stdin: bool,
    key_in_project: bool,
    scope: str | None,
    as_json: bool,
) -> None:
    """Add (or replace) a provider profile. With an API key it goes to the global file
    (owner-only) unless --project --key-in-project."""
    key = read_key(api_key_stdin)
    profile = {
        "id": provider_id,
        "type": kind,
        "priority": priority,
        "settings": {**parse_settings(pairs), **key},
        "tags": parse_tags(tags),
    }
    notes: list[str] = []
    path = service().add(profile, where_keys_go(scope, bool(key), key_in_project), notes=notes)
    if as_json:
        output.emit_json({"id": provider_id, "path": str(path), "notes": notes})
    else:
        output.note(f"added provider {provider_id} in {path}")
    for note in notes:
        output.note(note)


@providers.command("set")
@click.argument("provider_id")
@click.option("--set", "pairs", multiple=True, help="A setting as key=value (repeatable).")
@click.option("--tags", help="Replace the tags (comma-separated).")
@click.option("--priority", type=int, help="Lower is tried first.")
@click.option("--default", "make_default", is_flag=True, help="Make it the default provider.")
@click.option("--api-key-stdin", is_flag=True, help="Read a new API key from standard input.")
@KEY_IN_PROJECT
@chosen_scope_options
@json_option
@output.guarded()
def set_(
    provider_id: str,
    pairs: tuple[str, ...],
    tags: str | None,
    priority: int | None,
    make_default: bool,
    api_key_stdin: bool,
    key_in_project: bool,
    scope: str | None,
    as_json: bool,
) -> None:
    """Change a provider profile's settings, tags or priority, or make it the default. A new
    API key is written to the global file (owner-only) unless --project --key-in-project."""
    key = read_key(api_key_stdin)
    path = service().update(
        provider_id,
        {**parse_settings(pairs), **key},
        tags=None if tags is None else parse_tags(tags),
        priority=priority,
        make_default=make_default,
        scope=where_keys_go(scope, bool(key), key_in_project),
    )
    if as_json:
        output.emit_json({"id": provider_id, "path": str(path)})
    else:
        output.note(f"updated provider {provider_id} in {path}")


@providers.command()
@click.argument("provider_id")
@scope_options
@json_option
@output.guarded()
def remove(provider_id: str, scope: str, as_json: bool) -> None:
    """Remove a provider profile (`local`, the embedded fallback: writes `fallback_to_local: false`)."""
    tools = service()
    fallback = tools.removes_fallback(provider_id)
    path = tools.remove(provider_id, "global" if scope == "global" else "project")
    if as_json:
        output.emit_json({"id": provider_id, "removed": True, "path": str(path)})
    elif fallback:
        output.note(f"the embedded model is no longer the fallback: fallback_to_local: false in {path}")
    else:
        output.note(f"removed provider {provider_id} from {path}")


@providers.command("test")
@click.argument("provider")
@click.option("--e2e", is_flag=True, help="Also generate a few tokens.")
@json_option
@output.guarded()
def test_(provider: str, e2e: bool, as_json: bool) -> None:
    """Check that PROVIDER (an id or a type) answers; exits 1 when it does not."""
    report = service().test_connection(provider, e2e=e2e)
    if as_json:
        output.emit_json(report)
    else:
        state = "ok" if report.ok else f"FAILED ({report.status})"
        output.line(f"{provider}: {state} in {report.latency_ms} ms — {report.message}")
    if not report.ok:
        raise SystemExit(1)


@providers.command("discover-models")
@click.argument("provider")
@json_option
@output.guarded()
def discover_models(provider: str, as_json: bool) -> None:
    """The models PROVIDER (an id or a type) can serve."""
    models = to_json(service().served_models(provider))
    if as_json:
        output.emit_json({"provider": provider, "models": models})
        return
    for model in models:
        extra = ", ".join(f"{k}={v}" for k, v in model.items() if k != "id" and v is not None)
        output.line(f"{model['id']}" + (f"  ({extra})" if extra else ""))


@providers.command("find-url")
@click.option("--type", "kind", type=click.Choice(["lmstudio", "ollama"]), required=True)
@click.option("--host", help="Try this host first.")
@click.option("--port", type=int, help="Try this port first.")
@click.option("--timeout", type=float, default=1.5, show_default=True)
@json_option
@output.guarded()
def find_url(kind: str, host: str | None, port: int | None, timeout: float, as_json: bool) -> None:
    """Find a running LM Studio or Ollama: localhost, 127.0.0.1, host.docker.internal, the WSL host."""
    search = service().find_url(kind, host=host, port=port, timeout=timeout)
    if as_json:
        output.emit_json(search)
    else:
        output.line(search.message)
    if not search.ok:
        raise SystemExit(1)
