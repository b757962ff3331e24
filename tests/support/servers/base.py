"""Scaffolding for in-process provider servers on 127.0.0.1:0.

Each provider module supplies a handler that speaks that provider's documented wire protocol;
the text itself comes from a FakeTextGenerator engine (words as tokens), so tests can script
replies, count decoded tokens and hit the context limit. Faults are switches on `Server`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from chi_llm.adapters.fake import FakeTextGenerator


@dataclass
class Faults:
    close_after_chunks: int | None = None  # cut the connection mid-stream
    malformed_after_chunks: int | None = None  # send a chunk that is not JSON
    delay_seconds: float = 0.0  # wait before answering (read timeouts)
    rate_limit_times: int = 0  # answer 429 this many times first
    retry_after: str = "0"
    server_error_times: int = 0  # answer 503 this many times first
    echo_key: bool = False  # a refused key is quoted back in the error body (as some servers do)
    redirect_to: str | None = None  # answer every request with 307 and this Location


@dataclass
class Server:
    engine: FakeTextGenerator
    api_key: str | None = None
    faults: Faults = field(default_factory=Faults)
    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)  # {"method", "path", "headers", "body"}
    connections: set[int] = field(default_factory=set)  # client ports: one per TCP connection

    @property
    def decoded(self) -> int:
        return self.engine.tokens_decoded


class Handler(BaseHTTPRequestHandler):
    """Common request handling; provider handlers implement `route(method, path, body)`."""

    protocol_version = "HTTP/1.1"
    server_state: Server

    def log_message(self, *args: object) -> None:
        return

    # -- plumbing ---------------------------------------------------------------------------
    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw.decode(errors="replace")

    def _handle(self) -> None:
        state = self.server_state
        state.connections.add(self.client_address[1])
        body = self._body() if self.command in ("POST", "PUT") else None
        state.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body})
        if state.faults.delay_seconds:
            time.sleep(state.faults.delay_seconds)
        if state.faults.rate_limit_times > 0:
            state.faults.rate_limit_times -= 1
            return self.send_json(
                429, self.error_body(429, "Rate limit reached, slow down"), {"Retry-After": state.faults.retry_after}
            )
        if state.faults.redirect_to is not None:
            return self.send_json(307, {}, {"Location": state.faults.redirect_to + self.path})
        if state.faults.server_error_times > 0:
            state.faults.server_error_times -= 1
            return self.send_json(503, self.error_body(503, "overloaded"))
        try:
            self.route(self.command, self.path, body)
        except (BrokenPipeError, ConnectionResetError):
            return None
        return None

    do_GET = _handle
    do_POST = _handle

    def route(self, method: str, path: str, body: Any) -> None:
        raise NotImplementedError

    def error_body(self, status: int, message: str, code: str | None = None) -> Any:
        return {"error": {"message": message, "code": code}}

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def start_stream(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()

    def write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def stream_pieces(self, pieces: Iterator[bytes]) -> None:
        """Write stream pieces with the configured faults; stop as soon as the client goes away."""
        faults = self.server_state.faults
        sent = 0
        try:
            for piece in pieces:
                if faults.close_after_chunks is not None and sent >= faults.close_after_chunks:
                    faults.close_after_chunks = None
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if faults.malformed_after_chunks is not None and sent >= faults.malformed_after_chunks:
                    faults.malformed_after_chunks = None
                    piece = self.malformed()
                self.write_chunk(piece)
                sent += 1
            self.end_stream()
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()  # stops the engine: decoding ends when the client leaves

    def malformed(self) -> bytes:
        return b"data: {not json\n\n"

    def authorized(self, supplied: str | None) -> bool:
        expected = self.server_state.api_key
        return expected is None or supplied == expected


@contextmanager
def serve(handler: type[Handler], state: Server) -> Iterator[Server]:
    bound = type("BoundHandler", (handler,), {"server_state": state})
    server_class = type("Server", (ThreadingHTTPServer,), {"request_queue_size": 256})
    server = server_class(("127.0.0.1", 0), bound)
    server.daemon_threads = True
    server.handle_error = lambda *args: None
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    # shutdown() waits for the loop to look again: a short poll keeps each test's teardown short
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
