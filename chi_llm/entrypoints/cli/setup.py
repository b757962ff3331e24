"""`chi-llm setup`: the first-run wizard (interactive), `--yes` for scripts, and `setup recommend`."""

from __future__ import annotations

import sys
from typing import Any

import click

from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.setup_views import SetupResult
from chi_llm.entrypoints.cli import output
from chi_llm.entrypoints.cli.options import json_option
from chi_llm.entrypoints.cli.providers import KEY_IN_PROJECT, parse_settings, read_key, where_keys_go

EXIT_TEST_FAILED = 5


def setup_service() -> Any:
    from chi_llm.entrypoints.wiring import wire

    return wire(check_model=False).setup()


@click.group(invoke_without_command=True)
@click.option("--yes", "-y", is_flag=True, help="Do not ask: use the options given (or the recommended model).")
@click.option("--model", "model", help="Set up this local catalog model (downloaded now).")
@click.option(
    "--provider", "kind", help="Set up a provider of this type (ollama, lmstudio, openai, anthropic, gemini)."
)
@click.option("--id", "profile_id", help="The provider profile's id (default: its type).")
@click.option("--set", "pairs", multiple=True, help="A provider setting as key=value (repeatable).")
@click.option("--api-key-stdin", is_flag=True, help="Read the provider's API key from standard input.")
@click.option("--skip-test", is_flag=True, help="Save the provider even when its connection test fails.")
@click.option("--project", is_flag=True, help="Write the project file instead of the global one.")
@KEY_IN_PROJECT
@json_option
@click.pass_context
@output.guarded()
def setup(
    ctx: click.Context,
    yes: bool,
    model: str | None,
    kind: str | None,
    profile_id: str | None,
    pairs: tuple[str, ...],
    api_key_stdin: bool,
    skip_test: bool,
    project: bool,
    key_in_project: bool,
    as_json: bool,
) -> None:
    """Set up chi-llm: pick a local model (downloaded now) or a provider (tested), and save the
    choice in your global configuration (--project: this project's). Ctrl-C writes nothing.

    Without --yes it asks, step by step, on a terminal."""
    if ctx.invoked_subcommand is not None:
        return
    if model and kind:
        raise InvalidRequest("choose one: --model (a local model) or --provider (a server)")
    if not yes:
        if as_json or not sys.stdin.isatty():
            raise InvalidRequest(
                "setup asks on a terminal; in scripts pass --yes with --model ID or --provider TYPE [--set k=v]"
            )
        from chi_llm.entrypoints.cli.setup_wizard import run_wizard

        run_wizard(setup_service(), scope="project" if project else "global", key_in_project=key_in_project)
        return
    service = setup_service()
    if kind:
        settings = {**parse_settings(pairs), **read_key(api_key_stdin)}
        scope = where_keys_go("project" if project else "global", "api_key" in settings, key_in_project)
        profile = service.profile(kind, settings, profile_id)
        report = service.check(profile)
        if not report.ok and not skip_test:
            output.note(
                f"chi-llm: error: {profile['id']}: {report.message} (nothing written; --skip-test saves it anyway)"
            )
            if as_json:
                output.emit_json({"written": False, "test": report})
            raise SystemExit(EXIT_TEST_FAILED)
        result = service.save_provider(profile, scope, report)
    else:
        chosen = model or service.recommend().info.spec.id
        service.fetch(chosen)
        result = service.save_local(chosen, "project" if project else "global")
    show(result, as_json=as_json)


def show(result: SetupResult, *, as_json: bool) -> None:
    if as_json:
        output.emit_json(result)
        return
    what = f"model {result.model}" if result.kind == "local" else f"provider {result.provider}"
    if result.kind == "provider" and result.model:
        what += f" (model {result.model})"
    output.line(f"saved {what} as the default in {result.path}")
    if result.test is not None:
        output.line(f"connection test: {result.test.status}: {result.test.message}")
    for note in result.notes:
        output.note(f"note: {note}")


@setup.command()
@click.option("--tag", help="Recommend among models with this tag (default: general).")
@json_option
@output.guarded()
def recommend(tag: str | None, as_json: bool) -> None:
    """The model recommended for this machine, and why (as `models recommend`)."""
    choice = setup_service().recommend(tag)
    if as_json:
        output.emit_json(choice)
        return
    shown = choice.to_json()
    output.line(shown["id"])
    output.line(shown["reason"])
    if shown["alternatives"]:
        output.line(f"alternatives: {', '.join(shown['alternatives'])}")
