"""Connection limits, enforced where the bytes arrive (before any request reaches the app or the
API key is checked): uvicorn's httptools protocol with a bounded head (size and number of
headers), a deadline for the head and one for the body, and a cap on open connections that
closes the longest-idle one to make room (so idle or slow sockets cannot starve `/health`).

httptools keeps a header that has not ended in memory, growing with every byte: the head is
measured as it arrives and refused with 431 once it is over the limit."""

from __future__ import annotations

import asyncio
import json
import logging
import resource
import time
from dataclasses import dataclass
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from chi_llm.entrypoints.server.errors import HttpError

log = logging.getLogger("chi_llm.serve")


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    max_head_bytes: int = 64 * 1024  # request line and headers together
    max_headers: int = 100
    head_timeout: float = 10.0  # seconds from connecting (or a request's first byte) to its last header
    body_timeout: float = 60.0  # seconds from the last header to the body's last byte
    keep_alive: float = 5.0  # seconds an idle connection stays open after an answer
    max_connections: int | None = None  # None: from the descriptor limit (see `connection_cap`)


def connection_cap(limits: ConnectionLimits) -> int:
    """At most half the process's file descriptors (the rest serve models, logs and upstream
    connections), and at most 1024."""
    if limits.max_connections is not None:
        return limits.max_connections
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return 1024 if soft == resource.RLIM_INFINITY else max(8, min(1024, soft // 2))


def accept_batch(cap: int) -> int:
    """The listen backlog, which is also how many connections asyncio accepts in one go before
    any of them can be looked at (and an idle one closed): a quarter of the cap, so the cap,
    one batch accepted and one batch closing stay within the descriptor limit."""
    return max(16, min(2048, cap // 4))


class Closings:
    """Connections closed by these limits, logged as one line per reason at most every `period`
    seconds (an attack closes thousands; a line each would flood the log)."""

    def __init__(self, period: float = 10.0) -> None:
        self.period = period
        self.counts: dict[str, int] = {}
        self.logged: dict[str, float] = {}

    def note(self, reason: str) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1
        now = time.monotonic()
        if now - self.logged.get(reason, -self.period) >= self.period:
            count = self.counts.pop(reason)
            log.info("closed %d connection%s: %s", count, "" if count == 1 else "s", reason)
            self.logged[reason] = now


class HeadTooLarge(Exception):
    pass


def raw_response(error: HttpError) -> bytes:
    """An error answered by the protocol itself (the app never saw the request), then closed."""
    body = json.dumps(error.body()).encode()
    head = (
        f"HTTP/1.1 {error.status} {REASONS.get(error.status, '')}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


REASONS = {408: "Request Timeout", 431: "Request Header Fields Too Large", 503: "Service Unavailable"}


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits above (one class per server: `limits`)."""

    limits: ConnectionLimits = ConnectionLimits()
    cap: int = 1024
    closings: Closings = Closings()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reading_head = True  # from connecting, or an answer's request's end, to the next last header
        self.head_bytes = 0  # bytes received while reading the head
        self.measured = 0  # bytes of request line and headers parsed
        self.header_count = 0
        self.partial_head = False  # a request has begun and its headers have not all arrived
        self.idle_since: float | None = time.monotonic()  # None while a request is being handled
        self.deadline: asyncio.TimerHandle | None = None

    # -- connections ------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self.cap and not self._evict_idle():
            transport.write(raw_response(BUSY))
            transport.close()
            self.closings.note(f"{len(self.connections)} connections open, all busy (--max-connections): 503")
            return
        super().connection_made(transport)
        self._arm(self.limits.head_timeout, "its request headers")

    def _evict_idle(self) -> bool:
        """Close the connection that has waited longest for a request, if one does."""
        idle = [c for c in self.connections if isinstance(c, GuardedProtocol) and c.idle_since is not None]
        if not idle:
            return False
        oldest = min(idle, key=lambda c: c.idle_since or 0.0)
        oldest._disarm()
        oldest.transport.close()
        self.connections.discard(oldest)
        self.closings.note("the longest-idle, to make room for a new one (--max-connections)")
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self.transport is None:  # refused in connection_made
            return
        super().connection_lost(exc)

    # -- deadlines --------------------------------------------------------------------------
    def _arm(self, seconds: float, what: str) -> None:
        self._disarm()
        self.deadline = self.loop.call_later(seconds, self._expired, what, seconds)

    def _disarm(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _expired(self, what: str, seconds: float) -> None:
        self.deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete or not self.cycle.response_started:
            message = f"the connection was closed: {what} did not arrive within {seconds:g} s"
            self.transport.write(raw_response(HttpError(408, message, code="request_timeout")))
        self.closings.note(f"{what} did not arrive within {seconds:g} s: 408")
        self.transport.close()

    # -- the head ---------------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        """uvicorn's, with the head measured (and a head over the limit refused with 431)."""
        self._unset_keepalive_if_required()
        if self.reading_head:
            self.head_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as error:
            if isinstance(error.__context__, HeadTooLarge):
                self._refuse_head()
            else:
                self.logger.warning("Invalid HTTP request received.")
                self.send_400_response("Invalid HTTP request received.")
            return
        except httptools.HttpParserUpgrade:
            self._unsupported_upgrade_warning()  # no WebSocket route here
        if self.reading_head and self.head_bytes > self.limits.max_head_bytes:
            self._refuse_head()

    def _refuse_head(self) -> None:
        if self.transport.is_closing():
            return
        self._disarm()
        limits = self.limits
        message = (
            f"the request's headers are too large: at most {limits.max_head_bytes} bytes "
            f"and {limits.max_headers} headers"
        )
        self.transport.write(raw_response(HttpError(431, message, code="headers_too_large")))
        self.transport.close()
        self.reading_head = False
        self.closings.note("request headers over the limits: 431")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.header_count = self.measured = 0
        self.partial_head = True
        if self.idle_since is not None and self.deadline is None:  # a new request on a kept-alive connection
            self._arm(self.limits.head_timeout, "its request headers")

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._measure(len(url), 0)

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        self._measure(len(name) + len(value), 1)

    def _measure(self, size: int, headers: int) -> None:
        """Heads that arrived whole in one read (the byte count above sees the rest)."""
        self.header_count += headers
        self.measured += size
        if self.header_count > self.limits.max_headers or self.measured > self.limits.max_head_bytes:
            raise HeadTooLarge()  # httptools stops parsing; data_received answers 431

    def on_headers_complete(self) -> None:
        self.reading_head = self.partial_head = False
        self.head_bytes = 0
        self.idle_since = None
        self._arm(self.limits.body_timeout, "its body")
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()
        self.reading_head = True

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self.idle_since = time.monotonic()
        if self.partial_head and self.deadline is None:  # a head pipelined behind this request
            self._arm(self.limits.head_timeout, "its request headers")


BUSY = HttpError(
    503,
    "the server has as many connections open as it allows, all of them busy; retry later",
    "server_error",
    "too_many_connections",
    retry_after=1,
)


def guarded(limits: ConnectionLimits) -> type[GuardedProtocol]:
    """The protocol class for one server's limits."""
    return type(
        "Guarded", (GuardedProtocol,), {"limits": limits, "cap": connection_cap(limits), "closings": Closings()}
    )
