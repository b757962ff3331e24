"""History turns with tool calls and results, as mappings (what `Session.history` shows and
`Session.save` writes) and back: `{"role": "assistant", "content", "tool_calls": [{"id", "name",
"arguments"}]}` and `{"role": "tool", "content", "tool_call_id", "name", "is_error"}`; other
turns keep the `{"role", "content"}` (or 2.x pair) shape."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.messages import Message, history_to_messages
from chi_llm.domain.tools import ToolCall

TOOL_KEYS = ("tool_calls", "tool_call_id", "name", "is_error")
History = Iterable[Message | Mapping[str, Any]]


def entry(message: Message) -> dict[str, Any]:
    """A message as a mapping: role and content, and its tool fields where it has them."""
    shown: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        shown["tool_calls"] = [{"id": c.id, "name": c.name, "arguments": dict(c.arguments)} for c in message.tool_calls]
    if message.role == "tool":
        shown.update(tool_call_id=message.tool_call_id, name=message.name, is_error=message.is_error)
    return shown


def _call(given: Any) -> ToolCall:
    if not isinstance(given, Mapping) or not isinstance(given.get("id"), str) or not isinstance(given.get("name"), str):
        raise InvalidRequest(f"a history tool call is a mapping with 'id', 'name' and 'arguments'; got {given!r}")
    arguments = given.get("arguments") or {}
    if not isinstance(arguments, Mapping):
        raise InvalidRequest(f"a history tool call's arguments must be a mapping; got {arguments!r}")
    return ToolCall(id=given["id"], name=given["name"], arguments=dict(arguments), raw=json.dumps(dict(arguments)))


def _message(turn: Mapping[str, Any]) -> Message:
    calls = turn.get("tool_calls") or []
    if not isinstance(calls, list):
        raise InvalidRequest(f"a history turn's tool_calls must be a list; got {calls!r}")
    name = turn.get("name")
    return Message(
        role=turn["role"],
        content=str(turn.get("content") or ""),
        tool_calls=tuple(_call(call) for call in calls),
        tool_call_id=turn.get("tool_call_id"),
        name=str(name) if name is not None else None,
        is_error=bool(turn.get("is_error", False)),
    )


def turns(history: History | None) -> list[Message]:
    """History as messages: Message objects as they are, mappings with tool fields read here,
    other mappings as `history_to_messages` reads them."""
    found: list[Message] = []
    for turn in history or ():
        if isinstance(turn, Message):
            found.append(turn)
        elif isinstance(turn, Mapping) and "role" in turn and any(key in turn for key in TOOL_KEYS):
            found.append(_message(turn))
        else:
            found.extend(history_to_messages([turn]))
    return found
