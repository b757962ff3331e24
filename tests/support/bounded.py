"""Running code that a regression could turn into a memory eater or an endless recursion in a
child process with an address-space limit and a timeout, so that it fails a test instead of
taking the machine down."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

MEMORY_LIMIT = 1024**3  # address space for the child: the interpreter and the code under test


def run_bounded(code: str, *, memory: int = MEMORY_LIMIT, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run `code` (Python source) in a fresh interpreter under RLIMIT_AS=`memory` with this
    checkout on its path; a child that overruns `timeout` fails the test."""
    prelude = f"import resource\nresource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory}))\n"
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
