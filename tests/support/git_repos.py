"""Repositories written here for the git-ignore tests: files to write, what the loader finds, and an
environment with no system or user git configuration."""

from __future__ import annotations

from pathlib import Path

from chi_llm.adapters.document_loader import FileLoader


def write(path: Path, text: str = "text\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def git_env(tmp_path: Path) -> dict[str, str]:
    """No system configuration, a private home: only the files a test writes count."""
    return {"HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "GIT_CONFIG_NOSYSTEM": "1"}


def found(root: Path, env: dict[str, str], *paths: str) -> list[str]:
    result = FileLoader(env=env).find([str(root / p) for p in paths] or [str(root)])
    return sorted(p.relative_to(root).as_posix() for p in result.files)
