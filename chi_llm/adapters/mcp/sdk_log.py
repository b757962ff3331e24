"""What the MCP SDK logs instead of raising (a server writing lines on stdout that are not MCP:
the SDK logs each and goes on waiting), kept per connection thread for our error messages. With
this handler on the `mcp` logger, Python's last-resort handler no longer prints the SDK's
tracebacks on stderr; an application that configures logging still gets every record."""

from __future__ import annotations

import logging
import threading

NOT_MCP = "Failed to parse JSONRPC message"  # the SDK's words for a stdout line that is not JSON-RPC
SHOWN = 200  # characters of such a line quoted in an error


class _Noted(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: dict[int, str] = {}
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if not record.getMessage().startswith(NOT_MCP):
            return
        error = record.exc_info[1] if record.exc_info else None
        errors = getattr(error, "errors", None)
        found = errors() if callable(errors) else []
        line = found[0].get("input") if found and isinstance(found[0], dict) else None
        if isinstance(line, str):
            with self._guard:
                self.seen.setdefault(threading.get_ident(), line[:SHOWN])


_HANDLER = _Noted()


def watch_sdk_log() -> None:
    """Put the handler on the `mcp` logger (once)."""
    logger = logging.getLogger("mcp")
    if _HANDLER not in logger.handlers:
        logger.addHandler(_HANDLER)


def not_mcp_line(thread: int | None) -> str | None:
    """The first line that was not MCP a server wrote on stdout, for the connection `thread`."""
    with _HANDLER._guard:
        return _HANDLER.seen.get(thread) if thread is not None else None


def forget(thread: int | None) -> None:
    with _HANDLER._guard:
        _HANDLER.seen.pop(thread or 0, None)
