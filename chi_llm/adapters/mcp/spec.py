"""Which MCP server to connect to, read from what the user gave: an `http://` or `https://` URL
(streamable HTTP), else a command line (a string split as a shell would, or a list of
arguments) run as a subprocess speaking MCP over its stdin and stdout."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from chi_llm.domain.errors import InvalidRequest

FORM = 'give a command line ("python server.py --flag", or a list of its words) or an http(s):// URL'


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """A server: `url` (streamable HTTP, with `headers`) or `command` (the program and its
    arguments, run in `cwd` with `env` added to the SDK's safe default environment)."""

    label: str  # how messages name it
    url: str | None = None
    command: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


def _strings(what: str, given: Mapping[str, str] | None) -> dict[str, str]:
    if given is None:
        return {}
    if not isinstance(given, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in given.items()):
        raise InvalidRequest(f"MCP server {what} must map names to text values, got {given!r}")
    return dict(given)


def _words(spec: str | Sequence[str]) -> tuple[str, ...]:
    if isinstance(spec, str):
        try:
            return tuple(shlex.split(spec))
        except ValueError as error:  # an unclosed quote
            raise InvalidRequest(f"MCP server command {spec!r} cannot be read ({error}): {FORM}") from None
    if isinstance(spec, bytes) or not isinstance(spec, Sequence) or not all(isinstance(w, str) for w in spec):
        raise InvalidRequest(f"an MCP server is a command line or a URL, got {spec!r}: {FORM}")
    return tuple(spec)


def target(
    spec: str | Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    headers: Mapping[str, str] | None = None,
) -> Target:
    """The server `spec` names (InvalidRequest for an empty spec, options that do not fit its
    kind, or values that are not text)."""
    extra_env, extra_headers = _strings("env", env), _strings("headers", headers)
    if isinstance(spec, str) and spec.strip().lower().startswith(("http://", "https://")):
        url = spec.strip()
        if extra_env or cwd is not None:
            raise InvalidRequest(f"env and cwd are for an MCP server run as a command, not for the URL {url!r}")
        return Target(label=url, url=url, headers=extra_headers)
    words = _words(spec)
    if not words or not words[0].strip():
        raise InvalidRequest(f"the MCP server command is empty: {FORM}")
    if extra_headers:
        raise InvalidRequest("headers are for an MCP server reached by URL, not for a command")
    return Target(
        label=shlex.join(words),
        command=words,
        env=extra_env,
        cwd=str(Path(cwd).expanduser()) if cwd is not None else None,
    )
