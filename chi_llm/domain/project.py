"""Project bootstrap: what is asked for, and the files planned or written."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from chi_llm.domain.results import JsonResult

PROJECT_PROVIDERS = ("local", "ollama", "lmstudio", "openai", "anthropic", "gemini")
EXTRAS: Mapping[str, tuple[str, ...]] = {
    "none": (),  # the core install: llama.cpp and every provider
    "standard": (),  # the same; kept as the earlier chi_llm's name
    "rag": ("rag",),
    "full": ("rag",),  # every optional extra
}
Action = Literal["create", "overwrite", "unchanged", "skip"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectRequest:
    folder: Path
    provider: str = "local"
    model: str | None = None
    yaml: bool = False
    extras: str = "standard"
    force: bool = False
    base_url: str | None = None  # a server provider's address (default: the type's own)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedFile(JsonResult):
    """One file: its full content, what happens to it, and why when it is left alone."""

    path: Path
    content: str
    action: Action
    existing: str | None = None  # the file's current content, when there is one (for a diff)
    reason: str | None = None
    backup: Path | None = None  # where the old file goes (with --force)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectPlan(JsonResult):
    """The files for a project; `written` once they are on disk (False for a dry run)."""

    folder: Path
    provider: str
    model: str | None
    files: tuple[PlannedFile, ...]
    written: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)
    moved_aside: tuple[Path, ...] = ()  # other configuration files in the folder, renamed to .bak

    @property
    def changed(self) -> bool:
        return any(f.action in ("create", "overwrite") for f in self.files)

    def json_fields(self) -> Mapping[str, Any]:
        return {
            "folder": self.folder,
            "provider": self.provider,
            "model": self.model,
            "written": self.written,
            "changed": self.changed,
            "files": self.files,
            "notes": self.notes,
            "moved_aside": self.moved_aside,
        }
