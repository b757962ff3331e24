"""Reading a file that must be a regular file of bounded size: what a path names is checked on
the open descriptor (a FIFO, a device or a socket is never read, a link is followed to what it
names and checked there), and no more than the limit plus one byte is ever read."""

from __future__ import annotations

import errno
import os
import stat
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


def read_regular(path: Path, limit: int) -> bytearray | str:
    """The file's bytes, or why they are not read ("not a regular file (a FIFO)", "larger than
    64 MiB"). O_NONBLOCK: opening a FIFO that has no writer returns at once instead of waiting
    for one (it has no effect on a regular file). OSError when the file cannot be opened."""
    try:
        fd = os.open(path, _FLAGS)
    except OSError as exc:
        if exc.errno == errno.ENXIO and stat.S_ISSOCK(os.stat(path).st_mode):  # a socket cannot be opened
            return "not a regular file (a socket)"
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a file")
            return f"not a regular file ({kind})"
        too_large = f"larger than {shown_size(limit)}"
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
