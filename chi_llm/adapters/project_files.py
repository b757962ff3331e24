"""Plain text files in a project folder, written atomically; backups beside them."""

from __future__ import annotations

import os
from pathlib import Path

from chi_llm.adapters.bounded_read import read_text as bounded_read_text
from chi_llm.adapters.config_files import replace_atomically
from chi_llm.domain.errors import ConfigError
from chi_llm.domain.ports import ProjectFiles


class LocalProjectFiles(ProjectFiles):
    def read_text(self, path: Path) -> str | None:
        """The file's text, None when there is none; read through the bounded reader, so a
        FIFO, a device or a huge file in its place is a ConfigError rather than a hang."""
        try:
            if not path.exists():
                return None
        except OSError as exc:
            raise ConfigError(f"cannot use this path: {exc.strerror or exc}", source=str(path)) from None
        try:
            return bounded_read_text(path)
        except ConfigError as exc:
            raise ConfigError(f"{exc.detail} (or move it away)", source=str(path)) from None

    def write_text(self, path: Path, text: str) -> None:
        if path.is_dir():
            raise ConfigError("is a folder, not a file; move it away", source=str(path))
        try:
            replace_atomically(path, text)
        except OSError as exc:
            raise ConfigError(
                f"cannot write it ({exc.strerror or exc}); it is unchanged — fix the folder's permissions or "
                "free disk space, then run the command again",
                source=str(path),
            ) from None

    def back_up(self, path: Path) -> Path:
        backup = path.with_name(path.name + ".bak")
        try:
            os.replace(path, backup)
        except OSError as exc:
            raise ConfigError(
                f"cannot move it aside to {backup.name} ({exc.strerror or exc})", source=str(path)
            ) from None
        return backup
