"""Stream framing: one incremental decoder for Server-Sent Events and newline-delimited JSON.

The sync and async stream loops both feed it one line at a time, so they cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from chi_llm.domain.errors import GenerationFailed

Framing = Literal["sse", "ndjson"]


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded message of a stream: its SSE event name (if any) and JSON data."""

    event: str | None
    data: Any


def parse_json(text: str, *, backend: str) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):  # RecursionError: nested deeper than the parser reads
        raise GenerationFailed(f"the server sent a malformed stream chunk: {text[:120]!r}", backend=backend) from None


MAX_LINE_CHARS = 4 * 1024 * 1024  # no stream line is this long; a longer one is refused, not buffered


class LineSplitter:
    """Splits received text into lines, refusing a line longer than MAX_LINE_CHARS (a server
    sending one endless line must not fill memory)."""

    def __init__(self, *, backend: str) -> None:
        self.backend = backend
        self._buffer = ""

    def feed(self, text: str) -> list[str]:
        self._buffer += text
        lines = self._buffer.split("\n")
        self._buffer = lines.pop()
        if len(self._buffer) > MAX_LINE_CHARS:
            raise GenerationFailed(
                f"the server sent a stream line longer than {MAX_LINE_CHARS // 2**20} MiB; that is no answer "
                "this client expects",
                backend=self.backend,
            )
        return lines

    def end(self) -> list[str]:
        rest, self._buffer = self._buffer, ""
        return [rest] if rest else []


class FrameDecoder:
    """Turns lines into frames, incrementally.

    SSE: `event:` and `data:` lines, a blank line ends a message, `:` lines are comments,
    `data: [DONE]` ends the stream. NDJSON: one JSON object per non-empty line.
    """

    def __init__(self, framing: Framing, *, backend: str) -> None:
        self.framing = framing
        self.backend = backend
        self.done = False
        self._event: str | None = None
        self._data: list[str] = []

    def feed(self, raw: str) -> list[Frame]:
        """The frames that `raw` (one line, with or without its line ending) completes."""
        if self.done:
            return []
        line = raw.rstrip("\r\n")
        if self.framing == "ndjson":
            return [Frame(None, parse_json(line, backend=self.backend))] if line.strip() else []
        if not line:
            return self._flush()
        if line.startswith(":"):
            return []  # a comment / keep-alive
        if line.startswith("event:"):
            self._event = line[6:].strip()
        elif line.startswith("data:"):
            self._data.append(line[5:].lstrip(" "))
        return []

    def end(self) -> list[Frame]:
        """Frames left when the stream ends without a final blank line."""
        return self._flush() if self.framing == "sse" else []

    def _flush(self) -> list[Frame]:
        event, data = self._event, self._data
        self._event, self._data = None, []
        if not data or self.done:
            return []
        text = "\n".join(data)
        if text.strip() == "[DONE]":
            self.done = True
            return []
        return [Frame(event, parse_json(text, backend=self.backend))]


def decode_lines(lines: Iterable[str], framing: Framing, *, backend: str) -> Iterator[Frame]:
    decoder = FrameDecoder(framing, backend=backend)
    for line in lines:
        yield from decoder.feed(line)
        if decoder.done:
            return
    yield from decoder.end()


def sse_frames(lines: Iterable[str], *, backend: str) -> Iterator[Frame]:
    """Decode SSE lines (`event:`, `data:`, blank line ends a message; `data: [DONE]` ends the stream)."""
    return decode_lines(lines, "sse", backend=backend)


def ndjson_frames(lines: Iterable[str], *, backend: str) -> Iterator[Frame]:
    """Decode one JSON object per non-empty line."""
    return decode_lines(lines, "ndjson", backend=backend)
