"""Tool calls and tools as text, for the HTTP providers and the local model's prompt: a call's
arguments as JSON text, and what a request's tools add to its prompt (for estimates)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.messages import Message
from chi_llm.domain.tools import ToolCall, ToolSet


def arguments_text(call: ToolCall) -> str:
    """The call's arguments as JSON text: the text the model wrote when known, else its mapping
    (an InvalidRequest naming the call when that is not JSON: nothing is sent)."""
    if call.raw:
        return call.raw
    try:
        return json.dumps(dict(call.arguments), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidRequest(f"the arguments of tool call {call.id!r} ({call.name}) are not JSON: {exc}") from None


def turn_text(message: Message) -> str:
    """A turn's text for estimates: its content and the calls it asks for."""
    return message.content + "".join(call.name + arguments_text(call) for call in message.tool_calls)


def tools_text(tools: ToolSet | None) -> str:
    """What a request's tools add to its prompt: their names, descriptions and schemas."""
    if tools is None:
        return ""
    return json.dumps([[t.name, t.description, t.parameters] for t in tools.tools], ensure_ascii=False, default=str)


def call_list(tool_calls: Any) -> Sequence[Any]:
    """An answer's `tool_calls` as a list (none: empty); a ValueError when it is not one, which
    the HTTP base reports as an answer it does not understand."""
    if tool_calls is None:
        return ()
    if not isinstance(tool_calls, Sequence) or isinstance(tool_calls, str):
        raise ValueError("tool_calls is not a list")
    return tool_calls
