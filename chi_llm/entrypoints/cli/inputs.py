"""Where a command's text comes from: the argument, `-f FILE`, or standard input."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import BinaryIO

from chi_llm.domain.errors import InvalidRequest

MAX_INPUT_BYTES = 16 * 1024 * 1024  # far above any context window; stops `-f /dev/urandom` reading forever


def read_input(argument: str | None, file: str | None, *, what: str = "prompt") -> str:
    """Text from `argument`; `-` or a pipe means stdin; `-f FILE` (or `-f -`) reads a file.

    Whatever the source, empty or blank text, text over MAX_INPUT_BYTES and bytes that are not
    UTF-8 are refused with one clear InvalidRequest.
    """
    if argument is not None and file is not None:
        raise InvalidRequest(f"give the {what} as an argument or with -f, not both")
    if file is not None and file != "-":
        try:
            with Path(file).open("rb") as handle:
                return _checked(_read_capped(handle, file), f"the file {file}", what)
        except OSError as exc:
            raise InvalidRequest(f"cannot read {file}: {exc.strerror}") from None
    if file == "-" or argument == "-" or (argument is None and not sys.stdin.isatty()):
        return _checked(_read_capped(sys.stdin.buffer, "standard input"), "standard input", what).rstrip("\n")
    if argument is not None:
        return _checked(argument.encode("utf-8", errors="surrogateescape"), "the argument", what)
    raise InvalidRequest(f"no {what}: pass it as an argument, with -f FILE, or on standard input")


def _read_capped(handle: BinaryIO, where: str) -> bytes:
    data = handle.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise InvalidRequest(f"{where} holds more than {MAX_INPUT_BYTES // (1024 * 1024)} MiB; give a smaller text")
    return data


def _checked(data: bytes, where: str, what: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(
            f"{where} is not UTF-8 text (byte {exc.start}); convert it, e.g. `iconv -t utf-8`"
        ) from None
    if not text.strip():
        raise InvalidRequest(f"{where} was empty; no {what} to use")
    return text
