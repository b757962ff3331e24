"""The fake's scripted tool calls: a reply given as a mapping `{"content": TEXT, "tool_calls":
[{"name": NAME, "arguments": {...} or JSON text, "id": ID}]}` (content and id optional) answers
with those calls, streamed as deltas: the name first, then the arguments' JSON in pieces."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.tools import ToolCallDelta

PIECES = 3  # each call's arguments come in this many fragments (fewer when the text is shorter)
REPLY_KEYS = frozenset({"content", "tool_calls"})
CALL_KEYS = frozenset({"name", "arguments", "id"})


@dataclass(frozen=True, slots=True)
class ScriptedCall:
    name: str
    raw: str  # the arguments' JSON text, sent as is (a test may script text that is not JSON)
    id: str | None = None


@dataclass(frozen=True, slots=True)
class ScriptedReply:
    text: str
    calls: tuple[ScriptedCall, ...] = ()


def scripted(reply: str | Mapping[str, Any]) -> ScriptedReply:
    """A reply as the fake is given it: text, or a mapping with tool calls (checked here)."""
    if isinstance(reply, str):
        return ScriptedReply(reply)
    if not isinstance(reply, Mapping) or not set(reply) <= REPLY_KEYS or not isinstance(reply.get("content", ""), str):
        raise InvalidRequest(
            f"a fake reply is a text or a mapping with 'content' (text) and 'tool_calls'; got {reply!r}"
        )
    calls = reply.get("tool_calls") or []
    if not isinstance(calls, list):
        raise InvalidRequest(f"a fake reply's tool_calls must be a list, got {calls!r}")
    return ScriptedReply(str(reply.get("content", "")), tuple(_call(call) for call in calls))


def _call(call: Any) -> ScriptedCall:
    if not isinstance(call, Mapping) or not set(call) <= CALL_KEYS or not isinstance(call.get("name"), str):
        raise InvalidRequest(
            f"a fake tool call is a mapping with 'name' (text), 'arguments' (a mapping or JSON text) "
            f"and an optional 'id'; got {call!r}"
        )
    arguments = call.get("arguments", {})
    if not isinstance(arguments, (str, Mapping)):
        raise InvalidRequest(f"a fake tool call's arguments must be a mapping or JSON text, got {arguments!r}")
    raw = arguments if isinstance(arguments, str) else json.dumps(dict(arguments))
    given = call.get("id")
    return ScriptedCall(call["name"], raw, str(given) if given is not None else None)


def call_deltas(index: int, call: ScriptedCall, call_id: str) -> Iterator[ToolCallDelta]:
    """One call as a stream gives it: its id and name, then its arguments in fragments."""
    yield ToolCallDelta(index=index, id=call_id, name=call.name)
    size = max(1, -(-len(call.raw) // PIECES))
    for start in range(0, len(call.raw), size):
        yield ToolCallDelta(index=index, arguments=call.raw[start : start + size])
