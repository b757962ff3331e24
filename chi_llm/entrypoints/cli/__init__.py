"""The `chi-llm` command line.

Commands are declared with click; rich-click renders help. rich-click is loaded (and patched into
click, its documented mode) only when help will be shown, so a generation does not pay for it at
start-up: `chi-llm generate` starts ~30 ms sooner (benchmarks/bench_core.py).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import threading
from typing import Any, NoReturn

from chi_llm.entrypoints.lean_imports import use_lean_imports

HELP_FLAGS = ("-h", "--help")


def wants_help(argv: list[str]) -> bool:
    """Help will be shown: a help flag, or a bare `chi-llm` / `chi-llm GROUP` (which print help)."""
    return any(arg in HELP_FLAGS for arg in argv) or len(argv) <= 1


def use_rich_help() -> None:
    """Make click build rich-click commands (call before the commands are imported)."""
    from rich_click.patch import patch

    patch()


def take_ctrl_c() -> None:
    """Make Ctrl-C (SIGINT) raise KeyboardInterrupt, which every command turns into exit 130.

    A process started with SIGINT ignored — a background job of a shell without job control
    (`chi-llm ... &` in a script, a test run started with `&`) — keeps it ignored under Python:
    an interrupted generation then ran to its end and exited 0. Like Go's signal.Notify (which
    ollama's CLI uses), the CLI takes SIGINT back: Ctrl-C always stops a generation with 130."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def main() -> None:
    use_lean_imports()  # this process is ours: skip dependency-injector's unused integrations
    take_ctrl_c()
    if wants_help(sys.argv[1:]):
        use_rich_help()
    from chi_llm.entrypoints.cli import output
    from chi_llm.entrypoints.cli.app import cli

    output.route_warnings()
    try:
        cli(prog_name="chi-llm")  # click's standalone mode always ends in SystemExit
    except SystemExit as stop:
        end(stop.code)


def end(code: object) -> NoReturn:
    """Leave without interpreter teardown, as mypy does: output flushed and atexit handlers run
    (models closed, logs flushed, temporary files removed), then no module-by-module clean-up,
    which costs a one-shot command ~50 ms. A non-daemon thread still running gets the ordinary
    exit, which waits for it."""
    if any(not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        raise SystemExit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message"): Python prints it and exits 1
        sys.stderr.write(f"{code}\n")
        status = 1
    from chi_llm.entrypoints.cli.output import EXIT_BROKEN_PIPE

    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):  # the reader went away (or stdout was closed)
        status = status or EXIT_BROKEN_PIPE
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    atexit._run_exitfuncs()
    os._exit(status)


def __getattr__(name: str) -> Any:
    if name == "cli":  # the click group, for embedding and tests
        from chi_llm.entrypoints.cli.app import cli

        return cli
    raise AttributeError(name)
