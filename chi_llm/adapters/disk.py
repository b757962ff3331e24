"""Small file-system helpers shared by the model sources."""

from __future__ import annotations

import os
from pathlib import Path


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
