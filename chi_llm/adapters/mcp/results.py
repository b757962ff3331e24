"""An MCP tool result (`CallToolResult`) as the text that goes back to the model: its blocks in
order, text as it is (with no text block, the structured content first, as JSON); images, audio and binary resources
described (their base64 never shown); the whole cut to a limit, saying how much was cut."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MAX_RESULT_CHARS = 50_000  # what a result may give the model: a long page, not a dump


@dataclass(frozen=True, slots=True)
class Reply:
    """What a call came to: the text for the model, and whether the server flagged an error."""

    text: str
    is_error: bool = False


def _size(data: str) -> str:
    return f"{len(data) * 3 // 4:,} bytes"  # base64: 4 characters carry 3 bytes


def _resource(block: Any) -> str:
    resource = block.resource
    uri = str(resource.uri)
    text = getattr(resource, "text", None)
    if isinstance(text, str):
        return f"[resource {uri}]\n{text}"
    mime = resource.mime_type or "binary"
    return f"[resource {uri}: {mime}, {_size(getattr(resource, 'blob', '') or '')}, not shown]"


def block_text(block: Any) -> str:
    """One content block as text."""
    kind = getattr(block, "type", None)
    if kind == "text":
        return str(block.text)
    if kind in ("image", "audio"):
        return f"[{kind}: {block.mime_type}, {_size(block.data)}, not shown]"
    if kind == "resource_link":
        mime = f", {block.mime_type}" if block.mime_type else ""
        return f"[resource link: {block.name} <{block.uri}>{mime}]"
    if kind == "resource":
        return _resource(block)
    return f"[{kind or type(block).__name__} content, not shown]"


def cut(text: str, limit: int) -> str:
    """`text`, or its first `limit` characters and a note of how many more there were."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n[... {len(text) - limit:,} more characters cut: the result was {len(text):,} characters]"


def reply(result: Any, limit: int = MAX_RESULT_CHARS) -> Reply:
    """The Reply of a CallToolResult."""
    blocks = list(result.content or [])
    parts = [block_text(block) for block in blocks]
    if result.structured_content is not None and not any(getattr(b, "type", None) == "text" for b in blocks):
        parts.insert(0, json.dumps(result.structured_content, ensure_ascii=False, default=str))
    return Reply(text=cut("\n".join(parts), limit), is_error=bool(result.is_error))
