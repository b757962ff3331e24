"""`chi-llm diagnostics [--json]`: every check grouped by area, each problem with its fix."""

from __future__ import annotations

import json
from typing import Any

import click

from chi_llm.domain.diagnostics import Check, DiagnosticReport
from chi_llm.entrypoints.cli import output
from chi_llm.entrypoints.cli.options import json_option

MARKS = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL", "skip": "skip"}
AREA_TITLES = {
    "system": "System",
    "llama_cpp": "llama.cpp",
    "models": "Models",
    "config": "Configuration",
    "providers": "Providers",
    "features": "Optional features",
}
GIB = 1024**3


@click.command()
@json_option
@output.guarded()
def diagnostics(as_json: bool) -> None:
    """Check Python, hardware, the llama.cpp build, models, configuration and providers.

    Exits 0 when nothing failed, 1 otherwise. --json prints the report (format
    chi_llm.diagnostics/1, documented in docs/guides/setup.md)."""
    from chi_llm.entrypoints.wiring import diagnose

    report = diagnose()
    if as_json:
        output.emit_json(report)
    else:
        render(report)
    raise SystemExit(0 if report.ok else 1)


def render(report: DiagnosticReport) -> None:
    area = None
    for check in report.checks:
        if check.area != area:
            area = check.area
            output.line(f"\n{AREA_TITLES.get(area, area)}")
        output.line(f"  [{MARKS[check.status]}] {check.title}: {summary(check)}")
        if check.fix:
            output.line(f"         -> {check.fix}")
    counts = report.counts()
    output.line(
        f"\n{counts['ok']} ok, {counts['warn']} warning(s), {counts['fail']} failed, {counts['skip']} skipped "
        f"in {report.elapsed_ms / 1000:.1f} s (chi-llm {report.chi_llm_version})"
    )


def summary(check: Check) -> str:
    """One line for a check's value."""
    value: Any = check.value
    if check.id == "system.gpu" and isinstance(value, list):
        return gpu_summary(value)
    special = SUMMARIES.get(check.id) or SUMMARIES.get(check.area)
    if special is not None and isinstance(value, dict):
        try:
            return str(special(value))
        except (KeyError, TypeError, ValueError):
            pass  # another shape (a timed-out or broken check's {timed_out_after_s} / {error}): shown as JSON
    return json.dumps(value, default=str)[:200]


def _gib(value: Any) -> str:
    return "?" if value is None else f"{value / GIB:.1f} GiB"


def _provider(v: dict[str, Any]) -> str:
    if v.get("in_process"):
        return "in-process"
    parts = [str(v.get("base_url") or "")]
    if "status" in v:
        parts.append(v["status"])
    if v.get("latency_ms") is not None:
        parts.append(f"{v['latency_ms']:.0f} ms")
    if v.get("models"):
        parts.append(f"{len(v['models'])} model(s)")
    if v.get("api_key_set") is not None:
        parts.append("API key set" if v["api_key_set"] else "no API key")
    return ", ".join(p for p in parts if p)


SUMMARIES: dict[str, Any] = {
    "system.python": lambda v: f"{v['implementation']} {v['version']}",
    "system.platform": lambda v: f"{v['system']} {v['release']} ({v['machine']})",
    "system.chi_llm": lambda v: v["version"],
    "system.cpu": lambda v: (
        f"{v['physical_cores']} cores ({v['logical_cores']} threads); "
        + (", ".join(v["features"]) or "no SIMD features found")
    ),
    "system.cpu_load": lambda v: (
        f"other processes use {v['other_processes_cores']:.1f} of {v['cores']} cores"
        + (f", {v['runnable']} tasks runnable" if v.get("runnable") is not None else "")
    ),
    "system.memory": lambda v: f"{_gib(v['available_bytes'])} available of {_gib(v['total_bytes'])}",
    "llama_cpp.build": lambda v: (
        f"llama-cpp-python {v['version']}, GPU offload {'yes' if v['gpu_offload'] else 'no'}"
        if v["installed"]
        else "not importable"
    ),
    "models.dir": lambda v: (
        f"{v['path']} ({'writable' if v['writable'] else 'not writable'}, {_gib(v['free_bytes'])} free)"
    ),
    "models.current": lambda v: (
        f"{v['id']} (from {v['source']})"
        + ("" if v.get("downloaded") in (None, True) else ", not downloaded")
        + (f", {v['parallel']} requests at once" if v.get("parallel") else "")
    ),
    "config.files": lambda v: ", ".join(v["sources"]) or "defaults only (no file, no variable)",
    "config.values": lambda v: (
        ", ".join(f"{k}={s['value']}" for k, s in v.items() if s["source"] != "default" and s["value"] is not None)
        or "all defaults"
    ),
    "providers": _provider,
    "models": lambda v: f"{v['integrity']}, {_gib(v['memory_needed_bytes'])} at context {v['context']}",
    "features": lambda v: ", ".join(f"{k} {x}" for k, x in v.items() if k != "installed" and x) or "not installed",
}


def gpu_summary(value: list[dict[str, Any]]) -> str:
    if not value:
        return "none found"
    return "; ".join(f"{g['name']} ({g['kind']}, {_gib(g.get('vram_total'))})" for g in value)
