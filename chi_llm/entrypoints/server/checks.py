"""What a request must show before any handler runs: a Host this server answers to (a loopback
server refuses other names, which stops DNS rebinding), no foreign browser Origin unless
`--allow-origin` lets it in (a web page's "simple" request needs no preflight), the API key,
and JSON bodies declared as JSON (a form or text/plain body is what a page can send blind)."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Collection, Mapping

from chi_llm.entrypoints.server.errors import HttpError

SHOWN = 120  # characters of a refused header value quoted back


def key_matches(given: str, keys: tuple[str, ...]) -> bool:
    """Constant-time comparison against every configured key (no early exit)."""
    found = False
    for key in keys:
        found |= hmac.compare_digest(given.encode("utf-8"), key.encode("utf-8"))
    return found


def bearer(headers: Mapping[str, str]) -> str:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else headers.get("x-api-key", "")


def host_name(host: str) -> str:
    """The name or address of a Host header value, without its port (`[::1]:80` -> `::1`)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    name, colon, port = host.rpartition(":")
    return name if colon and port.isdigit() and ":" not in name else host


def is_loopback_name(name: str) -> bool:
    """`localhost`, a `.localhost` name (RFC 6761: browsers resolve them to loopback themselves)
    or a loopback address."""
    name = name.rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_refused(host: str | None, *, loopback_bind: bool, allowed: Collection[str]) -> HttpError | None:
    """A server bound to loopback answers only Host values naming loopback (or one of
    `--allow-host`): a page whose DNS name was re-pointed at 127.0.0.1 sends its own name."""
    if not loopback_bind or host is None:  # no Host at all: HTTP/1.0, never a browser
        return None
    name = host_name(host)
    if is_loopback_name(name) or name in allowed or name.rstrip(".") in allowed:
        return None
    return HttpError(
        403,
        f"Host {host[:SHOWN]!r} is not a loopback name: this server listens on loopback and answers "
        "only requests addressed to localhost or a loopback address (a defence against DNS "
        "rebinding); start it with --allow-host NAME to answer that name too",
        type="permission_error",
        code="host_not_allowed",
    )


def origin_refused(origin: str | None, host: str | None, allowed: Collection[str]) -> HttpError | None:
    """A request from a web page carries its Origin: only the server's own, or one named by
    `--allow-origin` (`*`: any), gets through."""
    if origin is None or "*" in allowed or origin in allowed:
        return None
    if host is not None and origin.lower() == f"http://{host}".lower():  # this server speaks no TLS
        return None
    return HttpError(
        403,
        f"requests from the web origin {origin[:SHOWN]!r} are refused: start the server with "
        f"--allow-origin {origin[:SHOWN]} to let pages of that origin call it",
        type="permission_error",
        code="origin_not_allowed",
    )


def key_refused(headers: Mapping[str, str], keys: tuple[str, ...]) -> HttpError | None:
    if not keys or key_matches(bearer(headers), keys):
        return None
    return HttpError(
        401,
        "a valid API key is required: send `Authorization: Bearer <key>` or `x-api-key: <key>`",
        code="invalid_api_key",
    )


def media_refused(method: str, headers: Mapping[str, str]) -> HttpError | None:
    """The API's POST bodies are JSON and must say so."""
    if method != "POST":
        return None
    declared = headers.get("content-type", "")
    if declared.partition(";")[0].strip().lower() == "application/json":
        return None
    return HttpError(
        415,
        f"the request body must be JSON sent with `Content-Type: application/json`, not {declared[:SHOWN]!r}",
        code="unsupported_media_type",
    )
