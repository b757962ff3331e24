"""File-system faults for tests: a file or folder this process cannot change."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest


@contextlib.contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """Make `paths` unchangeable for this process: immutable (chattr +i) when running as root,
    whose writes ignore mode bits, else mode bits. Skips the test where neither works."""
    if os.geteuid() == 0:
        done = subprocess.run(["chattr", "+i", *map(str, paths)], capture_output=True)
        if done.returncode != 0:
            pytest.skip("cannot make a file immutable here (root without chattr support)")
    else:
        for path in paths:
            path.chmod(0o500 if path.is_dir() else 0o400)
    try:
        yield
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", *map(str, paths)], check=True)
        for path in paths:
            path.chmod(0o700 if path.is_dir() else 0o600)


def names(paths: Sequence[Path]) -> list[str]:
    return sorted(p.name for p in paths)
