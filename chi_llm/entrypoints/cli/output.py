"""Everything the CLI writes, and the one place errors become messages and exit codes."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TextIO

from chi_llm.domain.errors import (
    AllProvidersFailed,
    BackendUnavailable,
    ChiLlmError,
    ConfigError,
    ContextLengthExceeded,
    InsufficientResources,
    InvalidRequest,
    MissingCredentials,
    ModelFetchFailed,
    ModelNotFound,
    RateLimited,
)
from chi_llm.domain.results import to_json
from chi_llm.domain.shown_text import shown, shown_values

EXIT_CODES: list[tuple[type[ChiLlmError], int]] = [
    (ConfigError, 2),
    (InvalidRequest, 2),
    (ModelNotFound, 3),
    (ModelFetchFailed, 4),
    (BackendUnavailable, 5),
    (MissingCredentials, 5),
    (ContextLengthExceeded, 6),
    (InsufficientResources, 7),
    (RateLimited, 5),
    (AllProvidersFailed, 5),
]
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141


def route_warnings() -> None:
    """Library warnings (e.g. a provider fallback) become one `chi-llm: warning:` line on stderr."""
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("chi-llm: warning: %(message)s"))
    logger = logging.getLogger("chi_llm")
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    logger.propagate = False


def exit_code(error: ChiLlmError) -> int:
    return next((code for kind, code in EXIT_CODES if isinstance(error, kind)), 1)


def printable(text: str) -> str:
    """`text` as the terminal can take it (undecodable bytes as `\\xff`: domain/shown_text.py)."""
    return shown(text)


def write(text: str) -> None:
    sys.stdout.write(printable(text))
    sys.stdout.flush()


def line(text: str = "") -> None:
    print(printable(text), flush=True)


def note(text: str) -> None:
    """A message for the person at the terminal: stderr, never mixed into results."""
    print(printable(text), file=sys.stderr, flush=True)


def emit_json(value: Any, *, one_line: bool = False, file: TextIO | None = None) -> None:
    """Print a result as JSON, through the one convention every result follows (`to_json`).
    Text that cannot be encoded (bytes from a broken argument, a file name that is not UTF-8)
    is escaped as `printable` shows it: the output is always valid UTF-8 JSON that any parser
    reads (no lone-surrogate escapes, which strict parsers refuse). `one_line`: compact, for
    commands that print one JSON object per line; `file`: where (standard output)."""
    indent = None if one_line else 2
    text = json.dumps(to_json(value), indent=indent, ensure_ascii=False, default=str)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(shown_values(to_json(value)), indent=indent, ensure_ascii=False, default=str)
    print(text, file=file, flush=True)


def error_json(error: ChiLlmError) -> dict[str, Any]:
    return {"error": {"kind": error.kind, "backend": error.backend, "message": error.message}}


def fail(error: ChiLlmError, *, as_json: bool, one_line: bool = False) -> NoReturn:
    """Report `error` in one line (or a JSON error object) and exit with its code."""
    if as_json:
        emit_json(error_json(error), one_line=one_line)
    else:
        note(f"chi-llm: error: {error.message}")
    raise SystemExit(exit_code(error))


@contextmanager
def reported(as_json: bool = False, *, one_line: bool = False) -> Iterator[None]:
    """Run a command body; turn ChiLlmError and Ctrl-C into a clean message and exit code."""
    try:
        yield
    except ChiLlmError as error:
        fail(error, as_json=as_json, one_line=one_line)
    except KeyboardInterrupt:
        note("\nchi-llm: interrupted")
        raise SystemExit(EXIT_INTERRUPTED) from None
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python's exit flush from
        # complaining about the closed pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(EXIT_BROKEN_PIPE) from None


def guarded(
    as_json: Callable[[dict[str, Any]], bool] = lambda kw: bool(kw.get("as_json")), *, one_line: bool = False
) -> Callable[..., Any]:
    """Decorator form of `reported` for click callbacks; `as_json` reads the JSON flag from kwargs."""

    def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            with reported(as_json(kwargs), one_line=one_line):
                return func(*args, **kwargs)

        run.__name__, run.__doc__ = func.__name__, func.__doc__
        return run

    return wrap
