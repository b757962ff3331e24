"""The bridge loop: read requests line by line, run each on a worker thread (long calls never
block the others), write responses and notifications as single lines under one lock. Any input
gets an answer or, for a notification, nothing — never a crash."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any

from chi_llm.domain.errors import ChiLlmError
from chi_llm.entrypoints.bridge import protocol
from chi_llm.entrypoints.bridge.calls import Call
from chi_llm.entrypoints.bridge.methods import METHODS, initialize

log = logging.getLogger("chi_llm")
MAX_LINE = 16 * 1024 * 1024
LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


class Bridge:
    def __init__(self, output: IO[str], methods: dict[str, Callable[[Call], Any]] | None = None) -> None:
        self._output = output
        self._methods = {**(methods if methods is not None else METHODS), "initialize": initialize}
        self._lock = threading.Lock()
        self._running: dict[int | str, Call] = {}
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="chi-llm-bridge")
        self.closing = False

    def write(self, message: dict[str, Any]) -> None:
        # UTF-8 stays readable, but the characters some readers take for a line break (NEL,
        # U+2028, U+2029) are escaped: one message is always exactly one line.
        text = json.dumps(message, ensure_ascii=False, default=str).translate(LINE_BREAKS)
        with self._lock:
            self._output.write(text + "\n")
            self._output.flush()

    def notify(self, method: str, params: Any) -> None:
        self.write(protocol.notification(method, params))

    def handle_line(self, line: str) -> None:
        """One line of input: answered now (errors, cancel, shutdown) or on a worker."""
        if not line.strip():
            return
        if len(line) > MAX_LINE:
            self.write(protocol.error(None, protocol.INVALID_REQUEST, f"a line longer than {MAX_LINE} bytes"))
            return
        try:
            request = protocol.parse(line)
        except protocol.ProtocolError as exc:
            self.write(protocol.error(exc.id, exc.code, exc.message))
            return
        if request.method == "$/cancelRequest":
            self._cancel(request.params.get("id"))
            return
        if request.method in ("shutdown", "exit"):
            self.closing = True
            if request.id is not None:
                self.write(protocol.result(request.id, {}))
            return
        self._start(request)

    def _start(self, request: protocol.Request) -> None:
        handler = self._methods.get(request.method)
        if handler is None:
            if request.id is not None:
                self.write(protocol.error(request.id, protocol.METHOD_NOT_FOUND, f"no method {request.method!r}"))
            return
        call = Call(id=request.id, params=request.params, send=self.notify)
        if request.id is not None:
            if request.id in self._running:
                self.write(protocol.error(request.id, protocol.INVALID_REQUEST, "this id is already running"))
                return
            self._running[request.id] = call
        self._pool.submit(self._run, handler, call)

    def _run(self, handler: Callable[[Call], Any], call: Call) -> None:
        try:
            value = handler(call)
            reply = protocol.result(call.id, value)
        except protocol.ProtocolError as exc:
            reply = protocol.error(call.id, exc.code, exc.message)
        except ChiLlmError as exc:
            reply = protocol.application_error(call.id, exc)
        except Exception as exc:  # a bug answers as an internal error; the bridge goes on
            log.exception("bridge method failed")
            reply = protocol.error(call.id, protocol.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}")
        finally:
            if call.id is not None:
                self._running.pop(call.id, None)
        if call.cancelled.is_set():  # whatever the call ended with, the client asked to stop it
            reply = protocol.error(call.id, protocol.REQUEST_CANCELLED, "cancelled")
        if call.id is not None:
            self.write(reply)

    def _cancel(self, request_id: Any) -> None:
        call = self._running.get(request_id) if isinstance(request_id, (int, str)) else None
        if call is not None:
            call.cancelled.set()

    def serve(self, lines: IO[str]) -> None:
        """Until `shutdown` (running calls finish and are answered) or the end of input (the
        client is gone: running calls are cancelled)."""
        for line in lines:
            self.handle_line(line)
            if self.closing:
                break
        if not self.closing:
            for call in list(self._running.values()):
                call.cancelled.set()
        self._pool.shutdown(wait=True)


def run_stdio() -> None:
    """Serve on stdin/stdout. The protocol keeps the real stdout; anything else that prints
    (a library's stray output) goes to stderr, so it can never corrupt the stream."""
    import sys

    protocol_out = sys.stdout
    sys.stdout = sys.stderr
    try:
        Bridge(protocol_out).serve(sys.stdin)
    finally:
        sys.stdout = protocol_out
