"""Tool calling on OpenAI's Chat Completions wire (also LM Studio, vLLM, llama.cpp's server...).

Request: `tools` as `{"type": "function", "function": {name, description, parameters}}`,
`tool_choice` ("none", "required", or `{"type": "function", "function": {"name"}}`; "auto" is the
API's default with tools and is left out, since some servers refuse it spelled out) and
`parallel_tool_calls`; assistant turns carry `tool_calls` with arguments as JSON text, results are
`role: tool` turns naming the call (`tool_call_id`). Response: `message.tool_calls` whole, or
`delta.tool_calls[]` pieces in a stream whose `function.arguments` fragments concatenate per
`index`.
"""

from __future__ import annotations

from typing import Any

from chi_llm.adapters.tool_text import arguments_text, call_list
from chi_llm.domain.messages import Message
from chi_llm.domain.tools import ToolCall, ToolCallDelta, ToolSet


def tool_fields(tools: ToolSet) -> dict[str, Any]:
    """The request fields that offer `tools` (pure)."""
    fields: dict[str, Any] = {"tools": [function(t.name, t.description, t.parameters) for t in tools.tools]}
    # "auto" is OpenAI's default with tools, but said anyway: llama-cpp-python's server (its
    # chatml-function-calling format) leaves the tools out of the prompt when tool_choice is absent.
    if tools.choice in ("auto", "none", "required"):
        fields["tool_choice"] = tools.choice
    else:
        fields["tool_choice"] = {"type": "function", "function": {"name": tools.choice}}
    if tools.parallel is not None:
        fields["parallel_tool_calls"] = tools.parallel
    return fields


def function(name: str, description: str, parameters: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": name}
    if description:
        spec["description"] = description
    spec["parameters"] = dict(parameters)
    return {"type": "function", "function": spec}


def message(m: Message) -> dict[str, Any]:
    """One turn on the wire; a turn without tool calls or results is `{role, content}` as ever."""
    if m.role == "tool":
        return {"role": "tool", "tool_call_id": m.tool_call_id, "content": m.content}
    if not m.tool_calls:
        return {"role": m.role, "content": m.content}
    calls = [wire_call(c) for c in m.tool_calls]
    # content stays text even when empty: OpenAI takes "" beside tool_calls, llama-cpp-python's
    # server refuses null
    return {"role": m.role, "content": m.content, "tool_calls": calls}


def wire_call(call: ToolCall) -> dict[str, Any]:
    """One whole call as OpenAI writes it (in an assistant turn, or an answer's message)."""
    return {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": arguments_text(call)}}


def _text(value: Any, what: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"the tool call's {what} is not a string")
    return value


def deltas(tool_calls: Any, *, whole: bool) -> tuple[ToolCallDelta, ...]:
    """Call pieces from a message's `tool_calls` (`whole`: complete calls, numbered by position)
    or a stream delta's (each naming its call by `index`). A wrong shape is a ValueError, which
    the HTTP base reports as an answer it does not understand."""
    pieces = []
    for position, call in enumerate(call_list(tool_calls)):
        if not isinstance(call, dict):
            raise ValueError("a tool call is not an object")
        index = position if whole else call.get("index", position)
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise ValueError("a tool call's index is not a whole number")
        spec = call.get("function") or {}
        if not isinstance(spec, dict):
            raise ValueError("a tool call's function is not an object")
        pieces.append(
            ToolCallDelta(
                index=index,
                id=_text(call.get("id"), "id") or None,
                name=_text(spec.get("name"), "name") or None,
                arguments=_text(spec.get("arguments"), "arguments") or "",
            )
        )
    return tuple(pieces)
