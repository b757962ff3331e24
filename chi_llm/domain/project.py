"""Project bootstrap: what is asked for, and the files planned or written."""

from __future__ import annotations

import hashlib
import json
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
Action = Literal["create", "overwrite", "unchanged", "skip", "move"]  # move: renamed to `backup`
Origin = Literal["index", "checkout", "archive", "vcs", "unknown"]


@dataclass(frozen=True, slots=True, kw_only=True)
class InstalledPackage:
    """The running chi-llm and where it was installed from, which decides what a project's
    requirements file can pin: only a release from the package index installs by `==version`."""

    version: str
    origin: Origin  # index; a local checkout (editable or on the path); a local wheel/sdist; a VCS URL
    url: str | None = None  # file:// URL of the checkout or archive; the repository URL for vcs
    vcs: str | None = None  # e.g. "git"
    commit: str | None = None


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
    """The files for a project and what happens to each: the preview shows exactly this, and
    writing carries out exactly this. `written` once they are on disk (False for a dry run)."""

    folder: Path
    provider: str
    model: str | None
    files: tuple[PlannedFile, ...]  # the configuration file first
    force: bool = False
    written: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def moved_aside(self) -> tuple[Path, ...]:
        """Other configuration files in the folder (which would be read instead), renamed to .bak."""
        return tuple(f.path for f in self.files if f.action == "move")

    @property
    def changed(self) -> bool:
        return any(f.action in ("create", "overwrite", "move") for f in self.files)

    @property
    def digest(self) -> str:
        """A fingerprint of every change and of what each file holds now: a write given the
        preview's digest is refused when the folder (or the request) no longer gives this plan."""
        shown = [[str(f.path), f.action, f.content, f.existing, str(f.backup)] for f in self.files]
        return hashlib.sha256(json.dumps([str(self.folder), self.force, shown]).encode()).hexdigest()[:32]

    def json_fields(self) -> Mapping[str, Any]:
        return {
            "folder": self.folder,
            "provider": self.provider,
            "model": self.model,
            "force": self.force,
            "digest": self.digest,
            "written": self.written,
            "changed": self.changed,
            "files": self.files,
            "notes": self.notes,
            "moved_aside": self.moved_aside,
        }
