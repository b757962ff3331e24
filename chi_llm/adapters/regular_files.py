"""Reading a file that must be a regular file of bounded size: what a path names is checked on
the open descriptor (a FIFO, a device or a socket is never read, a link is followed to what it
names and checked there), and no more than the limit plus one byte is ever read."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_STEP = 1 << 20


def shown_size(limit: int) -> str:
    return f"{limit // 2**20} MiB" if limit % 2**20 == 0 else f"{limit} bytes"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a file is not read: its kind ("a FIFO"), or None when it is over the size limit."""

    kind: str | None
    limit: int

    def __str__(self) -> str:
        return f"larger than {shown_size(self.limit)}" if self.kind is None else f"not a regular file ({self.kind})"


def _refusal(mode: int, limit: int) -> Refusal | None:
    if stat.S_ISREG(mode):
        return None
    return Refusal(next((name for test, name in _KINDS if test(mode)), "not a file"), limit)


def read_regular(path: Path, limit: int) -> bytearray | Refusal:
    """The file's bytes, or why they are not read (a Refusal: "not a regular file (a FIFO)",
    "larger than 64 MiB"). What the path names is checked before opening (opening some devices does
    something) and again on the descriptor; O_NONBLOCK: a FIFO swapped in between returns at
    once instead of waiting for a writer (no effect on a regular file). OSError when the file
    cannot be opened, ValueError for a path holding a NUL character."""
    refused = _refusal(os.stat(path).st_mode, limit)
    if refused is not None:
        return refused
    fd = os.open(path, _FLAGS)
    try:
        info = os.fstat(fd)
        refused = _refusal(info.st_mode, limit)
        if refused is not None:
            return refused
        too_large = Refusal(None, limit)
        if info.st_size > limit:
            return too_large
        data = bytearray()
        want = min(info.st_size + 1, limit + 1)  # one read takes all of it and finds the end
        while len(data) <= limit:
            chunk = os.read(fd, max(1, min(want, limit + 1 - len(data))))
            if not chunk:
                return data
            data += chunk
            want = _STEP  # the file grew after fstat: go on, a step at a time, up to the limit
        return too_large
    finally:
        os.close(fd)
