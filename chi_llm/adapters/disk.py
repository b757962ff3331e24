"""Small file-system helpers shared by the model sources."""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from chi_llm.domain.errors import InsufficientResources


def disk_full(exc: BaseException) -> InsufficientResources | None:
    """The domain error for a write that ran out of space (or quota), else None."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return InsufficientResources(
            f"the disk filled up while writing the model ({exc.strerror}); free some space or set cache_dir "
            "(CHI_LLM_HOME) to a bigger disk, then fetch again (a partial download is resumed where possible)",
            backend="disk",
        )
    return None


def largest_file_under(folder: Path) -> int:
    """Size of the biggest file below `folder` (0 when none): a download in progress, counted once
    even while pip copies it from its temporary folder to its destination."""
    largest = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                largest = max(largest, os.path.getsize(os.path.join(root, name)))
    return largest


def bytes_under(folder: Path) -> int:
    """Total size of the files below `folder` (files vanishing meanwhile are skipped)."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                continue
    return total
