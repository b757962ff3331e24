"""The interactive `chi-llm setup`: rich prompts over SetupService. Every answer is collected
before anything is written; Ctrl-C (or closed input) at any step writes nothing."""

from __future__ import annotations

import os
from typing import Any

from rich.console import Console
from rich.prompt import Confirm, Prompt
from rich.table import Table

from chi_llm.domain.errors import ChiLlmError
from chi_llm.entrypoints.cli.output import EXIT_INTERRUPTED
from chi_llm.entrypoints.cli.providers import where_keys_go

GIB = 1024**3
REMOTE = ("ollama", "lmstudio", "openai", "anthropic", "gemini")
FINDABLE = ("ollama", "lmstudio")


def run_wizard(service: Any, *, scope: str, key_in_project: bool, console: Console | None = None) -> None:
    console = console or Console(highlight=False)
    try:
        _wizard(service, console, scope, key_in_project)
    except (KeyboardInterrupt, EOFError):
        console.print("\n[bold]setup cancelled[/bold]: nothing was written")
        raise SystemExit(EXIT_INTERRUPTED) from None


def _wizard(service: Any, console: Console, scope: str, key_in_project: bool) -> None:
    console.rule("[bold]chi-llm setup")
    choice = service.recommend()
    hw = choice.hardware
    gpus = ", ".join(g.name for g in hw.gpus) or "none"
    console.print(
        f"This machine: {hw.available_ram / GIB:.1f} of {hw.total_ram / GIB:.1f} GiB memory free, "
        f"{hw.physical_cores} cores, GPU: {gpus}"
    )
    console.print(f"Recommended local model: [bold]{choice.info.spec.id}[/bold] — {choice.reason}")
    where = Prompt.ask(
        "Use a [bold]local[/bold] model (runs here, no server) or a [bold]provider[/bold] (a server or API)?",
        choices=["local", "provider"],
        default="local",
        console=console,
    )
    if where == "local":
        _local(service, console, choice.info.spec.id, scope)
    else:
        _provider(service, console, scope, key_in_project)


def _local(service: Any, console: Console, recommended: str, scope: str) -> None:
    rows = service.library.list_models(fits=True) or service.library.list_models()
    table = Table("model", "size", "memory at context", "here", box=None)
    for row in rows:
        size = f"{row.spec.planning_size / GIB:.2f} GiB" if row.spec.planning_size else "?"
        need = f"{row.fit.needed / GIB:.1f} GiB" if row.fit.needed else "?"
        table.add_row(row.spec.id, size, need, "downloaded" if row.downloaded else "")
    console.print(table)
    ids = [row.spec.id for row in rows]
    default = recommended if recommended in ids else ids[0]
    model = Prompt.ask(
        "Model (an id from the table)", choices=ids, show_choices=False, default=default, console=console
    )
    if not Confirm.ask(f"Download {model} (if needed) and make it the default?", default=True, console=console):
        console.print("nothing was written")
        return
    path = service.fetch(model)
    console.print(f"{model} is ready at {path}")
    result = service.save_local(model, scope)
    console.print(f"[green]saved[/green]: model {model} is the default in {result.path}")
    console.print('try it: chi-llm generate "Say hello"')


def _provider(service: Any, console: Console, scope: str, key_in_project: bool) -> None:
    kind = Prompt.ask("Provider type", choices=list(REMOTE), default="ollama", console=console)
    # (local servers are looked for on this machine first; the URL can be changed)
    schema = service.providers.schemas[kind]
    base_url = str(schema.defaults().get("base_url", ""))
    if kind in FINDABLE:
        found = service.providers.find_url(kind)
        console.print(f"{kind}: {'found at ' + str(found.base_url) if found.ok else found.message}")
        base_url = found.base_url or base_url
    settings: dict[str, Any] = {"base_url": Prompt.ask("Server URL", default=base_url, console=console)}
    vendor = next((v for v in schema.key_variables if not v.startswith("CHI_LLM_")), None)
    if "api_key" in schema.secrets:
        if vendor and os.environ.get(vendor):
            console.print(f"using the API key in {vendor} (it is not written anywhere)")
        else:
            key = Prompt.ask(f"API key (hidden; empty: set {vendor} later)", password=True, default="", console=console)
            if key.strip():
                settings["api_key"] = key.strip()
    profile = service.profile(kind, settings)
    models = _served(service, profile, console)
    if models:
        for index, name in enumerate(models[:30], 1):
            console.print(f"  {index:>2}. {name}")
        picked = Prompt.ask("Model (number or name)", default="1", console=console)
        model = models[int(picked) - 1] if picked.isdigit() and 0 < int(picked) <= len(models) else picked
    else:
        model = Prompt.ask("Model name (as the server knows it)", console=console)
    profile = service.profile(kind, {**settings, "model": model.strip()})
    report = service.check(profile)
    console.print(f"connection test: {report.status}: {report.message}")
    if not report.ok and not Confirm.ask("Save it anyway?", default=False, console=console):
        console.print("nothing was written")
        return
    target = where_keys_go(scope, "api_key" in settings, key_in_project)
    result = service.save_provider(profile, target, report)
    console.print(f"[green]saved[/green]: provider {result.provider} (model {model}) is the default in {result.path}")


def _served(service: Any, profile: dict[str, Any], console: Console) -> list[str]:
    try:
        return list(service.served(profile))
    except ChiLlmError as error:
        console.print(f"could not list the server's models: {error.message}")
        return []
