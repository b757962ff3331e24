"""What keeps tests/unit in-process: while `watching`, starting a subprocess (subprocess.Popen,
asyncio's subprocesses, multiprocessing, the os fork/exec/spawn family) or constructing the real
llama.cpp model calls `seen(what)`; the unit tier's conftest makes that fail the test."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock

WHERE = "tests/integration (or tests/e2e for tmux and packaging)"
# Who may start a program anyway: the system probe reads the hardware through the platform's own
# tools (nvidia-smi, rocm-smi, sysctl, vm_stat) where they exist, and the standard library's
# `platform` asks `uname -p` once; both are how the product reads the machine in-process.
READERS_OF_THE_MACHINE = (os.path.join("chi_llm", "adapters", "system_probe.py"), platform.__file__)

# os functions that start another program or copy this process (those this platform has).
_OS_STARTS = (
    "fork",
    "forkpty",
    "system",
    "posix_spawn",
    "posix_spawnp",
    *(f"exec{suffix}" for suffix in ("l", "le", "lp", "lpe", "v", "ve", "vp", "vpe")),
    *(f"spawn{suffix}" for suffix in ("l", "le", "lp", "lpe", "v", "ve", "vp", "vpe")),
)


def _blocked(what: str, seen: Callable[[str], None]) -> Callable[..., Any]:
    def refuse(*_: Any, **__: Any) -> Any:
        seen(what)
        raise RuntimeError(f"{what} is not allowed here")  # only reached if `seen` returns

    return refuse


def _reading_the_machine() -> bool:
    """Whether a reader of the machine is asking (else no unit test could run on a GPU machine or
    a Mac, and the first to ask `platform` would fail)."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename.endswith(READERS_OF_THE_MACHINE):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def _popen_watched(seen: Callable[[str], None]) -> Callable[..., Any]:
    start = subprocess.Popen._execute_child  # type: ignore[attr-defined]

    def execute_child(self: subprocess.Popen[Any], args: Any, *rest: Any, **named: Any) -> Any:
        if _reading_the_machine():
            return start(self, args, *rest, **named)
        program = [args] if isinstance(args, (str, bytes, os.PathLike)) else list(args)
        seen(f"starting a subprocess (subprocess.Popen: {' '.join(map(os.fsdecode, program))[:120]})")
        raise RuntimeError("starting a subprocess is not allowed here")  # only reached if `seen` returns

    return execute_child


@contextmanager
def watching(seen: Callable[[str], None]) -> Iterator[None]:
    """Route every way out of the process (and the real model's construction) to `seen`.

    subprocess.Popen covers subprocess.run/check_output and asyncio's subprocesses (both start
    their child through it); multiprocessing starts children through os.fork or spawnv_passfds."""
    import multiprocessing.util

    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(subprocess.Popen, "_execute_child", _popen_watched(seen)))
        stack.enter_context(
            mock.patch.object(
                multiprocessing.util, "spawnv_passfds", _blocked("starting a process (multiprocessing)", seen)
            )
        )
        for name in _OS_STARTS:
            if hasattr(os, name):
                stack.enter_context(mock.patch.object(os, name, _blocked(f"os.{name}", seen)))
        # The adapter imports Llama when it loads a model, so replacing the names is enough (and,
        # unlike refusing in Llama.__init__, leaves no half-made Llama for its __del__ to trip on).
        import llama_cpp
        import llama_cpp.llama

        load = _blocked("loading the real model (llama_cpp.Llama)", seen)
        stack.enter_context(mock.patch.object(llama_cpp, "Llama", load))
        stack.enter_context(mock.patch.object(llama_cpp.llama, "Llama", load))
        yield
