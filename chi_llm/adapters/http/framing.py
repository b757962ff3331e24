"""Stream framing as pure functions: Server-Sent Events and newline-delimited JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from chi_llm.domain.errors import GenerationFailed


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded message of a stream: its SSE event name (if any) and JSON data."""

    event: str | None
    data: Any


def parse_json(text: str, *, backend: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise GenerationFailed(f"the server sent a malformed stream chunk: {text[:120]!r}", backend=backend) from None


def sse_frames(lines: Iterable[str], *, backend: str) -> Iterator[Frame]:
    """Decode SSE lines (`event:`, `data:`, blank line ends a message; `data: [DONE]` ends the stream)."""
    event: str | None = None
    data: list[str] = []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data:
                text = "\n".join(data)
                if text.strip() == "[DONE]":
                    return
                yield Frame(event, parse_json(text, backend=backend))
            event, data = None, []
        elif line.startswith(":"):
            continue  # a comment / keep-alive
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
    if data and "\n".join(data).strip() != "[DONE]":
        yield Frame(event, parse_json("\n".join(data), backend=backend))


def ndjson_frames(lines: Iterable[str], *, backend: str) -> Iterator[Frame]:
    """Decode one JSON object per non-empty line."""
    for line in lines:
        if line.strip():
            yield Frame(None, parse_json(line, backend=backend))
