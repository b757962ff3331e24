"""Reading the bridge's input: one request per line, as bytes, never more than MAX_LINE of a
line held at once. A longer line is skipped in pieces and reported as None."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

MAX_LINE = 4 * 1024 * 1024  # bytes of one request line (a long chat history fits many times)
SKIP_PIECE = 64 * 1024


def read_lines(stream: IO[bytes], limit: int = MAX_LINE) -> Iterator[bytes | None]:
    """Each line of `stream` (its line break included when it had one) until the end of input;
    None for a line longer than `limit` bytes, which is read past without being kept."""
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) <= limit or line.endswith(b"\n"):  # at most limit bytes before the break
            yield line
            continue
        while line and not line.endswith(b"\n"):
            line = stream.readline(SKIP_PIECE)
        yield None


def too_long_message(limit: int = MAX_LINE) -> str:
    return f"a line longer than {limit // 1024 // 1024} MiB ({limit} bytes) was skipped; send smaller requests"
