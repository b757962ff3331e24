"""What the stand-in servers answer when a request offers tools: scripted calls, the same for the
OpenAI and Ollama protocols (both offer tools as `{"type": "function", "function": {...}}`).

The stand-in calls the tool `tool_choice` names, else the first tool when parallel calls are off,
else every tool once; each argument is made from its schema type, strings from the last user
turn (so a test chooses text that needs JSON escapes). After a tool result it answers in text.
"""

from __future__ import annotations

from typing import Any

from chi_llm.domain.messages import Message
from chi_llm.domain.tools import ToolCall

SAMPLES: dict[str, Any] = {"integer": 7, "number": 1.5, "boolean": True, "array": [], "object": {}, "null": None}


def scripted_calls(
    tools: list[dict[str, Any]] | None, choice: Any, parallel: bool | None, messages: list[dict[str, Any]]
) -> list[ToolCall]:
    """The calls to answer with; none when no tools are offered, the choice is "none", or the
    last turn is a tool result."""
    if not tools or choice == "none" or (messages and messages[-1].get("role") == "tool"):
        return []
    functions = [tool["function"] for tool in tools]
    if isinstance(choice, dict):
        functions = [f for f in functions if f["name"] == choice["function"]["name"]]
    elif parallel is False:
        functions = functions[:1]
    said = next((m.get("content") or "" for m in reversed(messages) if m.get("role") == "user"), "")
    calls = []
    for i, spec in enumerate(functions):
        properties = (spec.get("parameters") or {}).get("properties") or {}
        arguments = {
            name: said if prop.get("type") == "string" else SAMPLES.get(prop.get("type"))
            for name, prop in properties.items()
        }
        calls.append(ToolCall(id=f"call_{i}", name=spec["name"], arguments=arguments))
    return calls


def engine_messages(messages: list[dict[str, Any]]) -> tuple[Message, ...]:
    """The turns as the text engine takes them (tool calls and results kept as text turns)."""
    turns = []
    for m in messages:
        if m["role"] == "tool":
            turns.append(Message(role="tool", content=m["content"], tool_call_id=m.get("tool_call_id") or "unknown"))
        else:
            turns.append(Message(role=m["role"], content=m.get("content") or ""))
    return tuple(turns)


def unanswered_results(messages: list[dict[str, Any]]) -> list[str]:
    """The ids of tool results that answer no earlier assistant call (OpenAI refuses them)."""
    asked: set[str] = set()
    orphans = []
    for m in messages:
        for call in m.get("tool_calls") or ():
            asked.add(call.get("id"))
        if m["role"] == "tool" and m.get("tool_call_id") not in asked:
            orphans.append(str(m.get("tool_call_id")))
    return orphans
