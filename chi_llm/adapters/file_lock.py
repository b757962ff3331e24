"""An inter-process exclusive file lock (fcntl on POSIX, msvcrt on Windows)."""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from chi_llm.domain.errors import ConfigError


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing) for the duration of the block.

    The operating system releases the lock if the process dies, so a crash never leaves a
    stale lock behind.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            advice = (
                f"{path.parent} is read-only or not yours: fix its permissions (an immutable folder: "
                "chattr -i), or set CHI_LLM_HOME to a folder you can write"
            )
        elif exc.errno == errno.ENOSPC:
            advice = "the disk is full: free some space"
        else:
            advice = "remove whatever is in its place"
        raise ConfigError(f"cannot use the lock file {path} ({exc.strerror}); {advice}", source=str(path)) from None
    try:
        if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
