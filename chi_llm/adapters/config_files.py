"""Configuration files in JSON or YAML: discovery, parsing and atomic writes."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from chi_llm.adapters.bounded_read import read_text
from chi_llm.adapters.file_lock import exclusive_lock
from chi_llm.adapters.yaml_text import dump_keeping_comments, load_yaml
from chi_llm.domain.config_limits import check_structure, load_json
from chi_llm.domain.errors import ConfigError
from chi_llm.domain.ports import ConfigStore
from chi_llm.domain.setting_rules import cache_home
from chi_llm.domain.settings import PROJECT_FILE_NAMES


def global_config_path(env: Mapping[str, str]) -> Path:
    """`$XDG_CONFIG_HOME/chi_llm/config.yaml`, defaulting to `~/.config/chi_llm/config.yaml`."""
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(os.path.expanduser(base)) / "chi_llm" / "config.yaml"


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


class FileConfigStore(ConfigStore):
    """Finds project files from `cwd` upwards and reads/writes JSON or YAML by suffix."""

    def __init__(self, cwd: Path, env: Mapping[str, str]) -> None:
        self.cwd = cwd
        self.env = env

    def project_file(self) -> Path | None:
        for folder in (self.cwd, *self.cwd.parents):
            for name in PROJECT_FILE_NAMES:
                candidate = folder / name
                if self.exists(candidate):  # a FIFO or a device found here is refused when read
                    return candidate
        return None

    def project_target(self) -> Path:
        return self.project_file() or self.cwd / ".chi_llm.json"

    def global_file(self) -> Path:
        return global_config_path(self.env)

    def exists(self, path: Path) -> bool:
        """Whether something is there (a link: its target); not only a regular file, so that
        `read` names a FIFO, a device or a folder rather than it being silently skipped."""
        try:
            return path.exists()
        except OSError as exc:  # a name too long, a permission denied on the way
            raise ConfigError(f"cannot use this path: {exc.strerror or exc}", source=str(path)[:200]) from None

    def read(self, path: Path) -> Mapping[str, Any]:
        """The file's mapping, read with `read_config` (bounded; ConfigError naming the file)."""
        return read_config(path)

    def lock(self, path: Path) -> AbstractContextManager[None]:
        key = hashlib.sha256(str(path.absolute()).encode()).hexdigest()[:24]
        return exclusive_lock(cache_home(self.env) / "locks" / f"config-{key}.lock")

    def write(self, path: Path, values: Mapping[str, Any], *, private: bool = False) -> None:
        """Atomic replace through a temp file. A symbolic link is written through (the link
        stays, its target changes); temp files left by an interrupted earlier write (kill -9)
        are removed — callers hold `lock(path)`, so no other writer's temp file is current."""
        if path.is_symlink():
            path = path.resolve()
        if path.is_dir():
            raise ConfigError(
                "is a folder, not a configuration file; move it away or pass another path", source=str(path)
            )
        prefix = f".{path.name}."
        with contextlib.suppress(OSError):  # a folder that does not exist yet has no leftovers
            for name in os.listdir(path.parent):
                if name.startswith(prefix) and name.endswith(".tmp"):
                    (path.parent / name).unlink(missing_ok=True)
        text = self._text(path, values)
        try:
            replace_atomically(path, text, private=private)
        except OSError as exc:
            raise ConfigError(
                f"cannot write the file ({exc.strerror or exc}); it is unchanged — free disk space or "
                "fix the folder's permissions, then run the command again",
                source=str(path),
            ) from None

    def render(self, path: Path, values: Mapping[str, Any]) -> str:
        return self._text(path, values, keep_comments=False)

    @staticmethod
    def _text(path: Path, values: Mapping[str, Any], *, keep_comments: bool = True) -> str:
        """JSON, or YAML that keeps the comments of the file it replaces."""
        if path.suffix == ".json":
            return json.dumps(dict(values), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        with contextlib.suppress(ConfigError):  # no old file (or an unreadable one): nothing to keep
            old = read_text(path) if keep_comments else ""
            if old.strip():
                return dump_keeping_comments(old, dict(values))
        import yaml

        return str(yaml.safe_dump(dict(values), sort_keys=False, allow_unicode=True))


def read_config(path: Path, *, source: str | None = None) -> Mapping[str, Any]:
    """A JSON (by suffix) or YAML configuration file as a mapping, read through the one bounded
    reader (a regular file of at most MAX_FILE_BYTES) and checked for depth and size before any
    value is used. Every failure is a ConfigError naming the file."""
    where = source or str(path)
    text = read_text(path, source=where)
    if not text.strip():
        return {}
    if path.suffix == ".json":
        data = load_json(text, source=where)
    else:
        try:
            data = load_yaml(text)
        except ValueError as exc:
            raise ConfigError(str(exc), source=where) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError("the top level must be a mapping of keys to values", source=where)
    check_structure(data, source=where)
    return data


def replace_atomically(path: Path, text: str, *, private: bool = False) -> None:
    """Write `text` to `path` through a temp file in the same folder (fsync, then rename):
    readers see the old file or the new one, never a part. Keeps the old file's permissions;
    `private` makes it 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if private:
            os.chmod(temp, 0o600)
        elif path.exists():
            os.chmod(temp, path.stat().st_mode & 0o777)
        else:
            os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
