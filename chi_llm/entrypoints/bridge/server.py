"""The bridge loop: read requests line by line, run each on its lane (lanes.py: slow calls never
block quick ones), write responses and notifications as single lines under one lock. Any input
gets an answer or, for a notification, nothing — never a crash, never a request left unanswered."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import IO, Any

from chi_llm.domain.errors import ChiLlmError
from chi_llm.entrypoints.bridge import protocol, wire
from chi_llm.entrypoints.bridge.calls import Call
from chi_llm.entrypoints.bridge.lanes import Busy, Lanes
from chi_llm.entrypoints.bridge.lines import read_lines, too_long_message
from chi_llm.entrypoints.bridge.methods import METHODS, initialize
from chi_llm.entrypoints.bridge.tools import BridgeTools

log = logging.getLogger("chi_llm")
JSON_SPACE = " \t\r\n"


class Bridge:
    def __init__(
        self,
        output: IO[str],
        methods: dict[str, Callable[[Call], Any]] | None = None,
        tools: BridgeTools | None = None,
    ) -> None:
        self._output = output
        self.tools = tools if tools is not None else BridgeTools()
        self._methods = {**(methods if methods is not None else METHODS), "initialize": initialize}
        self._lock = threading.Lock()
        self._running: dict[int | str, Call] = {}
        self._lanes = Lanes()
        self.closing = False
        self._gone = False

    def write(self, message: dict[str, Any]) -> None:
        """One message, one line. ValueError, TypeError or RecursionError when it cannot be
        written as JSON, UnicodeError when the output refuses its text; once the output is gone
        (the client stopped reading), nothing more is written."""
        text = wire.encode(message)
        with self._lock:
            if self._gone:
                return
            try:
                self._output.write(text + "\n")
                self._output.flush()
            except UnicodeError:
                raise
            except (OSError, ValueError) as exc:  # a broken pipe, a closed stream
                self._gone = True
                log.warning("bridge: the output is gone (%s); no more answers are sent", exc)

    def notify(self, method: str, params: Any) -> None:
        self.write(protocol.notification(method, params))

    def answer(self, reply: dict[str, Any]) -> None:
        """A response that is always sent: one that cannot be written becomes an internal error."""
        try:
            self.write(reply)
        except Exception as exc:
            log.warning("bridge: the answer to %r could not be sent: %s", reply.get("id"), exc)
            why = f"the answer could not be sent: {type(exc).__name__}: {exc}"
            try:
                self.write(protocol.error(reply.get("id"), protocol.INTERNAL_ERROR, why))
            except Exception as again:
                log.warning("bridge: nor could an error in its place: %s", again)

    def handle_line(self, line: str | bytes) -> None:
        """One line of input: answered now (errors, cancel, shutdown) or on a worker."""
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                self.answer(protocol.error(None, protocol.PARSE_ERROR, f"not UTF-8 text: {exc}"))
                return
        if not line.strip(JSON_SPACE):  # a blank line; other characters (\x1c, NEL) are not JSON
            return
        try:
            request = protocol.parse(line)
        except protocol.ProtocolError as exc:
            self.answer(protocol.error(exc.id, exc.code, exc.message))
            return
        if request.method == "$/cancelRequest":
            self._cancel(request)
            return
        if request.method == "generate/approve":
            self._approve(request)
            return
        if request.method in ("shutdown", "exit"):
            self.closing = True
            self.tools.approvals.deny_all("the bridge is shutting down")
            if request.id is not None:
                self.answer(protocol.result(request.id, {}))
            return
        self._start(request)

    def _start(self, request: protocol.Request) -> None:
        handler = self._methods.get(request.method)
        if handler is None:
            if request.id is not None:
                name = request.method if len(request.method) <= 80 else request.method[:80] + "…"
                self.answer(protocol.error(request.id, protocol.METHOD_NOT_FOUND, f"no method {name!r}"))
            return
        call = Call(id=request.id, params=request.params, send=self.notify, tools=self.tools)
        if request.id is not None:
            if request.id in self._running:
                self.answer(protocol.error(request.id, protocol.INVALID_REQUEST, "this id is already running"))
                return
            self._running[request.id] = call
        try:
            self._lanes.run(request.method, lambda leave: self._run(handler, call, leave))
        except Busy as exc:
            if request.id is not None:
                self._running.pop(request.id, None)
                self.answer(protocol.busy(request.id, str(exc)))
            else:
                log.warning("bridge: notification %r dropped: %s", request.method, exc)

    def _run(self, handler: Callable[[Call], Any], call: Call, leave: Callable[[], None]) -> None:
        try:
            value = handler(call)
            reply = protocol.result(call.id, value)
        except protocol.ProtocolError as exc:
            reply = protocol.error(call.id, exc.code, exc.message)
        except ChiLlmError as exc:
            reply = protocol.application_error(call.id, exc)
        except (Exception, SystemExit) as exc:  # a bug answers as an internal error; the bridge goes on
            log.exception("bridge method failed")
            reply = protocol.error(call.id, protocol.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}")
        finally:
            if call.id is not None:
                self._running.pop(call.id, None)
            leave()
        if call.cancelled.is_set():  # whatever the call ended with, the client asked to stop it
            reply = protocol.error(call.id, protocol.REQUEST_CANCELLED, "cancelled")
        if call.id is not None:
            self.answer(reply)

    def _cancel(self, request: protocol.Request) -> None:
        """Cancel the request `params.id` names. Sent as a notification (as the TUI does) it has
        no answer; sent as a request it is answered `{}`, whether or not that id still runs."""
        target = request.params.get("id")
        if isinstance(target, (int, str)) and not isinstance(target, bool):
            call = self._running.get(target)
            if call is not None:
                call.cancelled.set()
        elif request.id is not None:
            why = "params.id must be the id (a number or a string) of the request to cancel"
            self.answer(protocol.error(request.id, protocol.INVALID_PARAMS, why))
            return
        if request.id is not None:
            self.answer(protocol.result(request.id, {}))

    def _approve(self, request: protocol.Request) -> None:
        """The user's answer to a `generate/tool_approval`, answered here and now (before the
        waiting call goes on, so the answer comes before what the call sends next)."""
        approval_id, allow, always = (request.params.get(k) for k in ("approval_id", "allow", "always"))
        if not isinstance(approval_id, str) or not isinstance(allow, bool) or not isinstance(always, bool | None):
            why = "params: approval_id (text), allow (true or false) and optionally always (true or false)"
            if request.id is not None:
                self.answer(protocol.error(request.id, protocol.INVALID_PARAMS, why))
            return
        waiting = self.tools.approvals.take(approval_id)
        if waiting is None:
            if request.id is not None:
                why = f"no tool call waits for approval {approval_id!r} (answered, timed out or cancelled already)"
                self.answer(protocol.error(request.id, protocol.INVALID_PARAMS, why))
            return
        if request.id is not None:
            self.answer(protocol.result(request.id, {}))
        self.tools.approvals.settle(waiting, allow, bool(always))

    def serve(self, lines: IO[bytes]) -> None:
        """Until `shutdown` (running calls finish and are answered) or the end of input (the
        client is gone: running calls are cancelled)."""
        for line in read_lines(lines):
            try:
                if line is None:
                    self.answer(protocol.error(None, protocol.INVALID_REQUEST, too_long_message()))
                else:
                    self.handle_line(line)
            except Exception:  # never expected; the bridge still goes on to the next line
                log.exception("bridge: a line could not be handled")
                self.answer(protocol.error(None, protocol.INTERNAL_ERROR, "the line could not be handled"))
            if self.closing:
                break
        if not self.closing:
            for call in list(self._running.values()):
                call.cancelled.set()
        self._lanes.wait()

    def wait(self) -> None:
        """Until every request started so far has been answered (tests)."""
        self._lanes.wait()


def run_stdio(tools: BridgeTools | None = None) -> None:
    """Serve on stdin/stdout, both read and written as UTF-8 whatever the locale. The protocol
    keeps the real stdout; anything else that prints (a library's stray output) goes to stderr,
    so it can never corrupt the stream. `tools`: what chats may call (`--tool`)."""
    import sys

    protocol_out = sys.stdout
    protocol_out.reconfigure(encoding="utf-8", errors="strict", newline="\n")  # type: ignore[union-attr]
    sys.stdout = sys.stderr
    try:
        Bridge(protocol_out, tools=tools).serve(sys.stdin.buffer)
    finally:
        sys.stdout = protocol_out
        if tools is not None:
            tools.close()
