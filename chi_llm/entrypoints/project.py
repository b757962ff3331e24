"""`chi_llm.bootstrap()`: scaffold a project's chi-llm files (the service behind `chi-llm bootstrap`
and the TUI's wizard)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from chi_llm.domain.project import ProjectPlan, ProjectRequest
from chi_llm.domain.settings import Settings
from chi_llm.entrypoints.container import Container, config_service


def bootstrap_project(
    path: str | Path = ".",
    *,
    provider: str = "local",
    model: str | None = None,
    yaml: bool = False,
    extras: str = "standard",
    force: bool = False,
    dry_run: bool = False,
    base_url: str | None = None,
    expect: str | None = None,
    env: Mapping[str, str] | None = None,
) -> ProjectPlan:
    """Write (or with `dry_run` only plan) `.chi_llm.json` / `.chi_llm.yaml`, `.env.sample` and
    `llm-requirements.txt` in `path`.

    Args:
        provider: local, ollama, lmstudio, openai, anthropic or gemini.
        model: a catalog id (local) or the name the provider serves; anthropic and gemini need one.
        yaml: write `.chi_llm.yaml` instead of `.chi_llm.json`.
        extras: none, standard, rag or full — the extras pinned in `llm-requirements.txt`.
        force: overwrite files that differ (each old one kept as `<name>.bak`).
        dry_run: return the plan (every file's path, content and action) and write nothing.
        base_url: a server provider's address (default: the provider type's own).
        expect: the `digest` of a plan shown before (a dry run): the write is refused
            (InvalidRequest) unless it would do exactly that, e.g. when a file changed since.

    Returns the plan; each file's `action` says what happened (create, overwrite, unchanged,
    skip with a `reason`, move: another configuration file renamed to its `backup`). Nothing
    secret is ever written.
    """
    env = os.environ if env is None else env
    folder = Path(os.path.expanduser(path)).absolute()
    container = Container(settings=Settings.defaults(), config=config_service(env, cwd=folder))
    container.env.override(env)
    service = container.project_bootstrap()
    request = ProjectRequest(
        folder=folder, provider=provider, model=model, yaml=yaml, extras=extras, force=force, base_url=base_url
    )
    plan: ProjectPlan = service.plan(request) if dry_run else service.write(request, expect=expect)
    return plan
