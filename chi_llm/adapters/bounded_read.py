"""The one way chi_llm reads a file a user points it at (configuration, model catalog, prompt
template, saved conversation): a regular file only, its size checked on the open descriptor
before anything is read, and never more than the limit read. A FIFO, a device (`/dev/zero`), a
folder or a file too large is a ConfigError naming it, not a hang, a memory blow-up or a
traceback."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from chi_llm.domain.config_limits import MAX_FILE_BYTES
from chi_llm.domain.errors import ConfigError

_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


def _kind(mode: int) -> str | None:
    """What a file that is not a regular one is, in words (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _size_words(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB" if size >= 1 << 20 else f"{size} bytes"


def read_bytes(path: Path, *, limit: int = MAX_FILE_BYTES, source: str | None = None) -> bytes:
    """The bytes of the regular file at `path` (links followed), at most `limit` of them.

    Raises ConfigError naming `source` (default: the path) when the file is missing or cannot be
    read, is not a regular file, or holds more than `limit` bytes."""
    where = source or str(path)
    try:
        kind = _kind(os.stat(path).st_mode)  # before opening: opening some devices does something
        if kind is not None:
            raise ConfigError(f"is {kind}, not a regular file; give the path of a file", source=where)
        fd = os.open(path, _FLAGS)  # non-blocking: a FIFO swapped in meanwhile cannot hang the open
    except OSError as exc:
        raise ConfigError(f"cannot read the file: {exc.strerror or exc}", source=where) from None
    except ValueError:  # a NUL byte in the path
        raise ConfigError("cannot read the file: the path holds a NUL character", source=where) from None
    try:
        info = os.fstat(fd)
        kind = _kind(info.st_mode)
        if kind is not None:
            raise ConfigError(f"is {kind}, not a regular file; give the path of a file", source=where)
        if info.st_size > limit:
            raise ConfigError(_too_big(info.st_size, limit), source=where)
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise ConfigError(f"cannot read the file: {exc.strerror or exc}", source=where) from None
    finally:
        os.close(fd)
    if total > limit:  # it grew while being read
        raise ConfigError(_too_big(total, limit), source=where)
    return b"".join(chunks)


def _too_big(size: int, limit: int) -> str:
    return f"is {_size_words(size)}, larger than the {_size_words(limit)} such a file may hold; check the path"


def read_text(path: Path, *, limit: int = MAX_FILE_BYTES, source: str | None = None) -> str:
    """`read_bytes` decoded as UTF-8 (ConfigError naming the byte where it is not)."""
    data = read_bytes(path, limit=limit, source=source)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text (byte {exc.start}); save it as UTF-8", source=source or str(path)) from None
