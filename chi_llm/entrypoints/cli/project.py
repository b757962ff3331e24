"""`chi-llm bootstrap [PATH]`: a project's configuration file, .env.sample and llm-requirements.txt."""

from __future__ import annotations

from pathlib import Path

import click

from chi_llm.domain.project import EXTRAS, PROJECT_PROVIDERS, ProjectPlan
from chi_llm.entrypoints.cli import output
from chi_llm.entrypoints.cli.options import json_option

DONE = {"create": "created", "overwrite": "overwrote", "unchanged": "unchanged", "skip": "kept", "move": "moved aside"}
PLANNED = {
    "create": "would create",
    "overwrite": "would overwrite",
    "unchanged": "unchanged",
    "skip": "would keep",
    "move": "would move aside",
}


@click.command()
@click.argument("path", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--provider", type=click.Choice(PROJECT_PROVIDERS), default="local", show_default=True)
@click.option("--model-id", "--model", "model", help="Catalog id (local) or the model name the provider serves.")
@click.option("--base-url", help="The server's address (default: the provider type's own).")
@click.option("--yaml", "use_yaml", is_flag=True, help="Write .chi_llm.yaml instead of .chi_llm.json.")
@click.option("--extras", type=click.Choice(list(EXTRAS)), default="standard", show_default=True)
@click.option("--force", is_flag=True, help="Overwrite files that differ (each old one kept as NAME.bak).")
@click.option("--dry-run", is_flag=True, help="Show the files and their content; write nothing.")
@json_option
@output.guarded()
def bootstrap(
    path: Path,
    provider: str,
    model: str | None,
    base_url: str | None,
    use_yaml: bool,
    extras: str,
    force: bool,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Scaffold chi-llm files in PATH (default: here): .chi_llm.json (or .yaml) with the provider
    and model, .env.sample with every variable it reads (no values), llm-requirements.txt.
    Existing files are never overwritten without --force."""
    from chi_llm.entrypoints.project import bootstrap_project

    plan = bootstrap_project(
        path,
        provider=provider,
        model=model,
        yaml=use_yaml,
        extras=extras,
        force=force,
        dry_run=dry_run,
        base_url=base_url,
    )
    if as_json:
        output.emit_json(plan)
        return
    render(plan, dry_run=dry_run)


def render(plan: ProjectPlan, *, dry_run: bool) -> None:
    words = PLANNED if dry_run else DONE
    for planned in plan.files:
        text = f"{words[planned.action]} {planned.path}"
        if planned.reason and planned.action == "skip":
            text += f": {planned.reason}"
        if planned.backup is not None:
            text += (
                f" (to {planned.backup.name})"
                if planned.action == "move"
                else f" (the old one is {planned.backup.name})"
            )
        output.line(text)
        if dry_run and planned.action in ("create", "overwrite"):
            output.line("".join(f"    {row}\n" for row in planned.content.splitlines()).rstrip("\n"))
    if not plan.changed:
        output.line("nothing changed" + ("" if dry_run else ": every file is already there (see above)"))
    for note in plan.notes:
        output.note(f"note: {note}")
