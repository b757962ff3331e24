"""`chi-llm ARGS` (or a Python snippet) in a child process with an address-space limit and a
timeout, for inputs that could eat memory or hang: a regression fails the test instead of taking
the machine down."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[2]
MEMORY = 2 << 30  # bytes of address space: the CLI needs a few hundred MiB; a runaway read needs more
_LIMIT = "import resource\nresource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory}))\n"
_CLI = 'import sys\nfrom chi_llm.entrypoints.cli import cli\ncli.main(args=sys.argv[1:], prog_name="chi-llm")\n'


def run_python_bounded(
    code: str,
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
    memory: int = MEMORY,
) -> subprocess.CompletedProcess[str]:
    """Run `code` on this checkout's chi_llm (the test's environment plus `env`) in the current
    folder; raises subprocess.TimeoutExpired (failing the test) when it runs past `timeout`."""
    child_env = {**os.environ, "MALLOC_ARENA_MAX": "2", **(env or {})}  # fewer arenas: less address space
    child_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), child_env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-c", _LIMIT.format(memory=memory) + textwrap.dedent(code), *args],
        env=child_env,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=timeout,
        check=False,
    )


def run_bounded(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 60, memory: int = MEMORY
) -> subprocess.CompletedProcess[str]:
    """`chi-llm ARGS` as `run_python_bounded` runs code."""
    return run_python_bounded(_CLI, *args, env=env, timeout=timeout, memory=memory)


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
