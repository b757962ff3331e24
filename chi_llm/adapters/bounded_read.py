"""The one way chi_llm reads a file a user points it at (configuration, model catalog, prompt
template, saved conversation): a regular file only, its size checked on the open descriptor
before anything is read, and never more than the limit read. A FIFO, a device (`/dev/zero`), a
folder or a file too large is a ConfigError naming it, not a hang, a memory blow-up or a
traceback."""

from __future__ import annotations

from pathlib import Path

from chi_llm.adapters.regular_files import read_regular
from chi_llm.domain.config_limits import MAX_FILE_BYTES
from chi_llm.domain.errors import ConfigError


def _size_words(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB" if size >= 1 << 20 else f"{size} bytes"


def read_bytes(path: Path, *, limit: int = MAX_FILE_BYTES, source: str | None = None) -> bytes:
    """The bytes of the regular file at `path` (links followed), at most `limit` of them
    (regular_files.read_regular, with its refusals as ConfigError).

    Raises ConfigError naming `source` (default: the path) when the file is missing or cannot be
    read, is not a regular file, or holds more than `limit` bytes."""
    where = source or str(path)
    try:
        data = read_regular(path, limit)
    except OSError as exc:
        raise ConfigError(f"cannot read the file: {exc.strerror or exc}", source=where) from None
    except ValueError:  # a NUL byte in the path
        raise ConfigError("cannot read the file: the path holds a NUL character", source=where) from None
    if isinstance(data, bytearray):
        return bytes(data)
    if data.kind is None:
        message = f"is larger than the {_size_words(limit)} such a file may hold; check the path"
        raise ConfigError(message, source=where)
    raise ConfigError(f"is {data.kind}, not a regular file; give the path of a file", source=where)


def read_text(path: Path, *, limit: int = MAX_FILE_BYTES, source: str | None = None) -> str:
    """`read_bytes` decoded as UTF-8 (ConfigError naming the byte where it is not)."""
    data = read_bytes(path, limit=limit, source=source)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text (byte {exc.start}); save it as UTF-8", source=source or str(path)) from None
