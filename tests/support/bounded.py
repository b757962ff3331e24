"""Bounds for tests of cases that could hang or eat memory: a regression then fails its test
instead of stalling the run or taking the machine down."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import FrameType


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Fail (TimeoutError) if the block takes longer: a blocking system call is interrupted."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_bounded(
    code: str,
    *args: str,
    memory_mb: int,
    timeout: float,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`python -c code args...` in a child whose address space is capped at `memory_mb` MiB
    (RLIMIT_AS) and that is killed after `timeout` seconds (subprocess.TimeoutExpired)."""
    cap = memory_mb * 2**20

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    merged = {**os.environ, "MALLOC_ARENA_MAX": "2", **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limit,
        env=merged,
    )
