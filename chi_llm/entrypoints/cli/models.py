"""`chi-llm models ...`: list, info, download, remove, set, current, recommend, disk, add, validate."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from chi_llm.domain.errors import ChiLlmError, InvalidRequest
from chi_llm.domain.models.spec import LocalSource
from chi_llm.domain.results import to_json
from chi_llm.entrypoints.cli import output
from chi_llm.entrypoints.cli.options import global_scope_options, json_option, scope_options

GIB = 1024**3


def _gib(value: int | None, unit: str = "G") -> str:
    return "?" if value is None else f"{value / GIB:.1f}{unit}"


def manager(as_json: bool = False) -> Any:
    """The model library; under --json download progress is one JSON object per line on stdout."""
    from chi_llm.entrypoints.model_manager import ModelManager

    if as_json:  # machine-readable progress: one JSON object per line on stdout

        def events(event: Any) -> None:
            output.line(
                json.dumps(
                    {
                        "event": "progress",
                        "model": event.model_id,
                        "phase": event.phase,
                        "done": event.done,
                        "total": event.total,
                    }
                )
            )

        return ModelManager(progress=events)
    return ModelManager()


@click.group()
def models() -> None:
    """Browse the catalog and manage local models."""


@models.command("list")
@click.option("--downloaded", is_flag=True, help="Only models already on this machine.")
@click.option("--tag", help="Only models with this tag (tiny, coding, reasoning, ...).")
@click.option("--fits", is_flag=True, help="Only models that fit in available memory.")
@click.option("--all", "show_all", is_flag=True, help="Also list GGUF models found in other tools.")
@json_option
@output.guarded()
def list_(downloaded: bool, tag: str | None, fits: bool, show_all: bool, as_json: bool) -> None:
    """List catalog models with markers: * current, ↓ downloaded, ✗ does not fit."""
    manage = manager()
    rows = to_json(manage.list_models(downloaded=downloaded, tag=tag, fits=fits))
    others = to_json(manage.installed()) if show_all or downloaded else []
    if as_json:
        output.emit_json({"models": rows, "installed_elsewhere": others} if others else rows)
        return
    if rows:
        output.line(f"    {'ID':<24} {'PARAMS':>6} {'QUANT':<7} {'SIZE GiB':>8} {'RAM GiB':>7}  TAGS")
    for r in rows:
        marks = ("*" if r["current"] else " ") + ("↓" if r["downloaded"] else " ") + (" " if r["fits"] else "✗")
        size = _gib(r["size_bytes"] or r["approx_size_bytes"], unit="")
        output.line(
            f"{marks} {r['id']:<24} {r['parameters'] or '':>6} {r['quantization'] or '':<7} {size:>8} "
            f"{_gib(r['ram_needed_bytes'], unit=''):>7}  {', '.join(r['tags'])}"
        )
    if rows:
        output.note("* current   ↓ downloaded   ✗ does not fit in available memory")
    for m in others:
        output.line(f"  {m['id']:<40} {_gib(m['size_bytes']):>6}  [{m['origin']}] {m['path']}")


@models.command()
@click.argument("model_id")
@json_option
@output.guarded()
def info(model_id: str, as_json: bool) -> None:
    """Everything the catalog knows about MODEL_ID, and whether it is here and fits."""
    row = manager().info(model_id).to_json()
    if as_json:
        output.emit_json(row)
        return
    for key, value in row.items():
        output.line(f"{key:>18}: {value}")


@models.command()
@click.argument("model_id")
@json_option
@output.guarded()
def download(model_id: str, as_json: bool) -> None:
    """Download MODEL_ID (resumable, verified); a no-op when it is already here.

    MODEL_ID is a catalog id or a Hugging Face reference: hf:owner/repo/file.gguf[@revision], or
    hf:owner/repo[@revision] to take the largest quantization that fits this machine."""
    done = manager(as_json).fetch(model_id)
    if as_json:
        output.line(json.dumps({"event": "done", "model": done.id, "path": str(done.path), "chosen": done.chosen}))
        return
    if done.chosen:
        output.note(done.chosen)
    output.note(f"{done.id} is ready at {done.path}")


@models.command()
@click.argument("model_id")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@json_option
@output.guarded()
def remove(model_id: str, yes: bool, as_json: bool) -> None:
    """Delete a downloaded model's file (never files of other tools or registered paths).

    Asks first on a terminal; elsewhere (scripts, pipes, --json) it needs --yes."""
    if not yes:
        if as_json or not sys.stdin.isatty():
            raise InvalidRequest(f"removing {model_id} needs confirmation: pass --yes (no terminal to ask on)")
        if not click.confirm(f"Remove {model_id}?"):
            raise SystemExit(1)
    manage = manager()
    registered = _registered_path(manage, model_id)
    freed = manage.remove(model_id)
    if as_json:
        output.emit_json({"model": model_id, "freed_bytes": freed, "unregistered": bool(registered)})
    elif registered:
        output.note(f"unregistered {model_id}; the file stays at {registered}")
    else:
        output.note(f"removed {model_id}, freed {freed / GIB:.2f} GiB" if freed else f"{model_id} was not downloaded")


def _registered_path(manage: Any, model_id: str) -> str | None:
    """The path of a `models add` registration, None for anything else."""
    try:
        info = manage.info(model_id)
    except ChiLlmError:
        return None
    return str(info.path) if isinstance(info.spec.source, LocalSource) else None


@models.command("set")
@click.argument("model_id")
@scope_options
@click.option("--download/--no-download", default=None, help="Download now (asked on a terminal when unset).")
@json_option
@output.guarded()
def set_(model_id: str, scope: str, download: bool | None, as_json: bool) -> None:
    """Make MODEL_ID the default model (what MicroLLM() loads)."""
    manage = manager(as_json)
    row = next((r for r in manage.list_models() if r.spec.id == model_id), None)
    if row and not row.downloaded:
        wanted = (
            download
            if download is not None
            else (
                not as_json and sys.stdin.isatty() and click.confirm(f"{model_id} is not downloaded. Download it now?")
            )
        )
        if wanted:  # first: a failed download leaves the configuration as it was
            manage.download(model_id)
    path = manage.set_default(model_id, "global" if scope == "global" else "project")
    if as_json:
        output.emit_json({"model": model_id, "scope": scope, "path": str(path)})
    else:
        output.note(f"default model is now {model_id} (in {path})")


@models.command()
@click.option("--explain", is_flag=True, help="Say which configuration source chose it.")
@json_option
@output.guarded()
def current(explain: bool, as_json: bool) -> None:
    """The model MicroLLM() uses now."""
    info_ = manager().current().to_json()
    if as_json:
        output.emit_json(info_ if explain else {k: v for k, v in info_.items() if k != "config_source"})
        return
    state = "downloaded" if info_.get("downloaded") else "not downloaded"
    output.line(f"{info_['id']} ({state})" + (f" — set by {info_['config_source']}" if explain else ""))


@models.command()
@click.option("--tag", help="Recommend among models with this tag (default: general).")
@json_option
@output.guarded()
def recommend(tag: str | None, as_json: bool) -> None:
    """The best model for this machine's measured memory, cores and GPU."""
    choice = manager().recommend(tag).to_json()
    if as_json:
        output.emit_json(choice)
        return
    output.line(choice["id"])
    output.line(choice["reason"])
    if choice["alternatives"]:
        output.line(f"alternatives: {', '.join(choice['alternatives'])}")


@models.command()
@json_option
@output.guarded()
def disk(as_json: bool) -> None:
    """Disk used by downloaded models, and free space."""
    usage = manager().disk().to_json()
    if as_json:
        output.emit_json(usage)
        return
    output.line(
        f"{usage['models_dir']}: {usage['used_bytes'] / GIB:.2f} GiB used, {usage['free_bytes'] / GIB:.1f} GiB free"
    )
    for f in usage["files"]:
        output.line(f"  {f['id']:<28} {f['size_bytes'] / GIB:.2f} GiB")
    if usage["partial_bytes"]:
        output.line(f"  (partial downloads: {usage['partial_bytes'] / GIB:.2f} GiB)")


@models.command()
@click.argument("path")
@click.option("--id", "model_id", help="Id to register it under (default: the file name).")
@global_scope_options
@json_option
@output.guarded()
def add(path: str, model_id: str | None, scope: str, as_json: bool) -> None:
    """Register a local .gguf file; it is used in place, never copied or deleted."""
    entry = manager().add(Path(path), model_id, "project" if scope == "project" else "global").to_json()
    if as_json:
        output.emit_json(entry)
    else:
        output.note(f"registered {entry['id']} -> {entry['path']} (in {entry['config_path']})")
        if not entry["chat_template"]:
            output.note(
                f"note: {entry['id']} has no chat template of its own; chat uses a generic "
                f"{entry['architecture'] or 'model'} fallback (`complete` sends raw text)"
            )


@models.command()
@click.argument("model_id", required=False)
@click.option("--all", "every", is_flag=True, help="Every model chi_llm downloaded (the default without MODEL_ID).")
@json_option
@output.guarded()
def verify(model_id: str | None, every: bool, as_json: bool) -> None:
    """Hash downloaded models in full against their recorded sha256 (exit 4 if one is damaged,
    3 if MODEL_ID is not downloaded)."""
    checks = manager().verify(None if every else model_id)
    if as_json:
        output.emit_json(checks)
    else:
        for check in checks:
            output.line(f"{check.id:<28} {'ok' if check.ok else 'DAMAGED: ' + str(check.problem)}")
        if not checks:
            output.note("no downloaded models to verify")
    damaged = [c.id for c in checks if not c.ok]
    if damaged:
        for model_id_ in damaged:
            output.note(f"chi-llm: {model_id_} is damaged; fetch it again with `chi-llm models download {model_id_}`")
        raise SystemExit(4)


@models.command()
@click.argument("path", required=False)
@json_option
@output.guarded()
def validate(path: str | None, as_json: bool) -> None:
    """Check a catalog file (default: the packaged one) and report every problem by entry."""
    report = manager().validate(Path(path) if path else None).to_json()
    if as_json:
        output.emit_json(report)
    else:
        for error in report["errors"]:
            output.line(f"error: {error}")
        for warning in report["warnings"]:
            output.line(f"warning: {warning}")
        output.line(
            f"{report['path']}: {report['models']} models, {len(report['errors'])} errors, "
            f"{len(report['warnings'])} warnings"
        )
    if not report["ok"]:
        raise SystemExit(2)
