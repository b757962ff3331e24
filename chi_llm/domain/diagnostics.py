"""The diagnostics report: checks with a status, a measured value and, when not ok, a fix."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from chi_llm.domain.results import JsonResult

Status = Literal["ok", "warn", "fail", "skip"]
STATUSES: tuple[Status, ...] = ("ok", "warn", "fail", "skip")
REPORT_FORMAT = "chi_llm.diagnostics/1"  # bump when a field changes meaning or goes away
AREAS = ("system", "llama_cpp", "models", "config", "providers", "features")


@dataclass(frozen=True, slots=True, kw_only=True)
class Check(JsonResult):
    """One check. `value` is what was measured (JSON data); `fix` says what to do when the status
    is not ok (for `skip`: how to enable what was skipped)."""

    id: str  # "<area>.<name>", e.g. "system.memory", "providers.home"
    area: str
    title: str
    status: Status
    value: Any = None
    fix: str | None = None
    elapsed_ms: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class DiagnosticReport(JsonResult):
    """Every check, in a stable order (area, then as run)."""

    chi_llm_version: str
    created: str  # ISO 8601, UTC
    elapsed_ms: float
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """Nothing failed (warnings and skips are allowed)."""
        return all(c.status != "fail" for c in self.checks)

    def counts(self) -> dict[str, int]:
        return {status: sum(c.status == status for c in self.checks) for status in STATUSES}

    def find(self, check_id: str) -> Check:
        return next(c for c in self.checks if c.id == check_id)

    def json_fields(self) -> Mapping[str, Any]:
        return {
            "format": REPORT_FORMAT,
            "chi_llm_version": self.chi_llm_version,
            "created": self.created,
            "elapsed_ms": self.elapsed_ms,
            "ok": self.ok,
            "counts": self.counts(),
            "checks": self.checks,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineReport(JsonResult):
    """What the installed llama.cpp build can do, in its own words."""

    installed: bool
    version: str | None = None
    gpu_offload: bool = False
    system_info: str = ""  # llama_print_system_info(): the CPU features and backends compiled in
    error: str | None = None  # why it could not be imported


@dataclass(frozen=True, slots=True, kw_only=True)
class Feature(JsonResult):
    """An optional feature: whether what it needs is installed, and the versions or path found."""

    name: str
    installed: bool
    found: Mapping[str, str | None]
    install: str  # the command that installs it
