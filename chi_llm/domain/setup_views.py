"""What `chi-llm setup` configured."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from chi_llm.domain.provider_views import ConnectionReport
from chi_llm.domain.results import JsonResult


@dataclass(frozen=True, slots=True, kw_only=True)
class SetupResult(JsonResult):
    """The choice written (`path`), the model and provider it uses, and the connection test."""

    kind: Literal["local", "provider"]
    path: Path
    provider: str  # "local", or the profile id
    model: str | None
    test: ConnectionReport | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
