"""Where a command's text comes from: the argument, `-f FILE`, or standard input."""

from __future__ import annotations

import sys
from pathlib import Path

from chi_llm.domain.errors import InvalidRequest


def read_input(argument: str | None, file: str | None, *, what: str = "prompt") -> str:
    """Text from `argument`; `-` or a pipe means stdin; `-f FILE` (or `-f -`) reads a file."""
    if argument is not None and file is not None:
        raise InvalidRequest(f"give the {what} as an argument or with -f, not both")
    if file is not None:
        if file == "-":
            return _stdin(what)
        try:
            return Path(file).read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidRequest(f"cannot read {file}: {exc.strerror}") from None
    if argument == "-":
        return _stdin(what)
    if argument is not None:
        return argument
    if not sys.stdin.isatty():
        return _stdin(what)
    raise InvalidRequest(f"no {what}: pass it as an argument, with -f FILE, or on standard input")


def _stdin(what: str) -> str:
    text = sys.stdin.read()
    if not text.strip():
        raise InvalidRequest(f"standard input was empty; no {what} to use")
    return text.rstrip("\n")
