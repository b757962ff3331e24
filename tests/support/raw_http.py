"""HTTP through a raw socket, for requests no well-behaved client sends (forged Host and Origin
headers, huge or unfinished heads, sockets left idle) and for reading exactly what comes back."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def connect(url: str, timeout: float = 10) -> socket.socket:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    return socket.create_connection((parts.hostname, parts.port), timeout=timeout)


def head(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def read_answer(sock: socket.socket) -> Answer:
    """One response: status, headers, and a body of Content-Length bytes (or until close)."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        if not piece:
            raise ConnectionError(f"the server closed the connection after {data[:200]!r}")
        data += piece
    top, _, rest = data.partition(b"\r\n\r\n")
    status_line, *lines = top.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    length = int(headers.get("content-length", "-1"))
    while length < 0 or len(rest) < length:
        piece = sock.recv(65536)
        if not piece:
            break
        rest += piece
    return Answer(status=int(status_line.split()[1]), headers=headers, body=rest if length < 0 else rest[:length])


def request(url: str, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> Answer:
    """One request on a fresh connection, exactly as given (Host included)."""
    with connect(url) as sock:
        sock.sendall(head(method, path, {"Connection": "close", **headers}, body))
        return read_answer(sock)


def closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed `sock` (reading and dropping what it sends), or None."""
    began = time.monotonic()
    sock.settimeout(0.2)
    while time.monotonic() - began < seconds:
        try:
            if not sock.recv(65536):
                return time.monotonic() - began
        except TimeoutError:
            continue
        except OSError:  # reset
            return time.monotonic() - began
    return None


def send_until_refused(sock: socket.socket, prefix: bytes, filler: bytes, most: int) -> int:
    """Send `prefix`, then `filler` repeatedly, up to `most` bytes; the bytes sent before the
    server stopped taking them."""
    sent = 0
    try:
        sock.sendall(prefix)
        while sent < most:
            sock.sendall(filler)
            sent += len(filler)
    except OSError:  # closed or reset by the server
        pass
    return sent
