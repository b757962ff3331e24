"""Tool calling on Ollama's /api/chat (ollama/docs/capabilities/tool-calling.mdx, api/types.go).

Request: `tools` as `{"type": "function", "function": {name, description, parameters}}`; there
is no `tool_choice` nor `parallel_tool_calls`: "auto" is what Ollama does, "none" sends no
tools, and what it cannot do (force a call, one named tool, at most one call) is refused before
sending. Assistant turns carry `tool_calls` with arguments as an object; results are `role: tool`
turns naming the tool (`tool_name`, and the call's id as `tool_call_id` for servers that use it).
Response: `message.tool_calls`, each call whole (a stream sends whole calls too), arguments an
object.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from chi_llm.adapters.providers.openai_tools import function
from chi_llm.adapters.tool_text import arguments_text, call_list
from chi_llm.domain.errors import GenerationFailed
from chi_llm.domain.messages import Message
from chi_llm.domain.tools import ToolCallDelta, ToolSet


def tool_fields(tools: ToolSet) -> dict[str, Any]:
    """The request fields that offer `tools` (pure); a GenerationFailed for what Ollama cannot
    do, raised before anything is sent (another provider may: the router tries the next)."""
    if tools.choice == "none":
        return {}
    if tools.choice != "auto":
        wanted = "a call" if tools.choice == "required" else f"a call of {tools.choice!r}"
        raise GenerationFailed(
            f"ollama cannot force {wanted} (its API has no tool_choice); use tool_choice 'auto' or "
            "'none' with Ollama, or a provider that can (OpenAI-compatible, Anthropic, Gemini)",
            backend="ollama",
        )
    if tools.parallel is False:
        raise GenerationFailed(
            "ollama cannot limit the model to one tool call (its API has no parallel_tool_calls); "
            "leave parallel_tool_calls unset with Ollama, or use a provider that can",
            backend="ollama",
        )
    return {"tools": [function(t.name, t.description, t.parameters) for t in tools.tools]}


def messages(turns: Sequence[Message]) -> list[dict[str, Any]]:
    """The turns on the wire; a turn without tool calls or results is `{role, content}` as ever.
    A result names its tool: the message's `name`, else the tool of the call it answers."""
    names = {call.id: call.name for m in turns for call in m.tool_calls}
    return [_message(m, names) for m in turns]


def _message(m: Message, names: dict[str, str]) -> dict[str, Any]:
    if m.role == "tool":
        out: dict[str, Any] = {"role": "tool", "content": m.content}
        name = m.name or names.get(m.tool_call_id or "")
        if name:
            out["tool_name"] = name
        out["tool_call_id"] = m.tool_call_id
        return out
    if not m.tool_calls:
        return {"role": m.role, "content": m.content}
    calls = [
        {"id": c.id, "function": {"index": i, "name": c.name, "arguments": json.loads(arguments_text(c))}}
        for i, c in enumerate(m.tool_calls)
    ]
    return {"role": m.role, "content": m.content, "tool_calls": calls}


def deltas(tool_calls: Any) -> tuple[ToolCallDelta, ...]:
    """The whole calls in a message's `tool_calls`, each as one piece carrying its whole
    arguments' JSON text (numbered in stream order by the HTTP base). A wrong shape is a
    ValueError, which the HTTP base reports as an answer it does not understand."""
    pieces = []
    for position, call in enumerate(call_list(tool_calls)):
        spec = call.get("function") if isinstance(call, dict) else None
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            raise ValueError("a tool call has no function name")
        arguments = spec.get("arguments") or {}
        if isinstance(arguments, str):  # some servers send the JSON text; it is parsed as the same
            text = arguments
        elif isinstance(arguments, dict):
            text = json.dumps(arguments, ensure_ascii=False)
        else:
            raise ValueError("a tool call's arguments are not an object")
        call_id = call.get("id")
        pieces.append(
            ToolCallDelta(
                index=position,
                id=call_id if isinstance(call_id, str) and call_id else None,
                name=spec["name"],
                arguments=text,
            )
        )
    return tuple(pieces)
