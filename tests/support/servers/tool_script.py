"""Tool calling in the stand-in servers: the wire's tools and tool turns decoded back into the
domain request the engine answers, the engine's tool-call pieces gathered per call for the wire
(OpenAI and Ollama offer tools in the same `{"type": "function", "function": {...}}` shape), and
an engine that calls the offered tools by itself.

The stand-ins relay whatever calls their engine makes (a FakeTextGenerator scripted with calls,
or `ToolEngine`), so the protocol mapping is tested, not the engine.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.domain.generation import Chunk, GenerationRequest
from chi_llm.domain.messages import Message
from chi_llm.domain.tools import Tool, ToolCall, ToolCallDelta, ToolSet

SAMPLES: dict[str, Any] = {"integer": 7, "number": 1.5, "boolean": True, "array": [], "object": {}, "null": None}


def offered(tools: Any, choice: Any = None, parallel: Any = None) -> ToolSet | None:
    """The request's ToolSet from the wire's `tools` (and OpenAI's `tool_choice`, `parallel_tool_calls`)."""
    if not tools:
        return None
    specs = [tool["function"] for tool in tools]
    named = choice["function"]["name"] if isinstance(choice, dict) else choice
    return ToolSet(
        tools=tuple(
            Tool(name=s["name"], description=s.get("description", ""), parameters=s["parameters"]) for s in specs
        ),
        choice=named or "auto",
        parallel=parallel,
    )


def _call(position: int, call: dict[str, Any]) -> ToolCall:
    spec = call["function"]
    arguments = spec.get("arguments")
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return ToolCall(id=call.get("id") or f"call_{position}", name=spec["name"], arguments=json.loads(raw), raw=raw)


def engine_messages(messages: list[dict[str, Any]]) -> tuple[Message, ...]:
    """The wire's turns as the engine takes them: assistant calls (arguments as JSON text or an
    object) and tool results (by `tool_call_id`, and Ollama's `tool_name`)."""
    turns = []
    for m in messages:
        if m["role"] == "tool":
            call_id = m.get("tool_call_id") or "unknown"
            turns.append(Message(role="tool", content=m["content"], tool_call_id=call_id, name=m.get("tool_name")))
        else:
            calls = tuple(_call(i, c) for i, c in enumerate(m.get("tool_calls") or ()))
            turns.append(Message(role=m["role"], content=m.get("content") or "", tool_calls=calls))
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


@dataclass
class WireCall:
    id: str
    name: str
    arguments: str  # the JSON text as the engine made it (not parsed: a test may script text that is not JSON)


def gathered(chunks: list[Chunk]) -> list[WireCall]:
    """The engine's calls, per index in order: the first id and name, the fragments joined."""
    calls: dict[int, WireCall] = {}
    for delta in (d for chunk in chunks for d in chunk.tool_calls):
        call = calls.setdefault(delta.index, WireCall(id="", name="", arguments=""))
        call.id = call.id or delta.id or ""
        call.name = call.name or delta.name or ""
        call.arguments += delta.arguments
    return [
        WireCall(id=c.id or f"call_{i}", name=c.name, arguments=c.arguments or "{}") for i, c in (sorted(calls.items()))
    ]


class ToolEngine(FakeTextGenerator):
    """A fake that calls the tools a request offers: the one `choice` names, else the first when
    parallel calls are off, else each once; each argument made from its schema type, strings from
    the last user turn (so a test picks text that needs escapes). After a tool result, or with
    choice "none", it answers in text as the fake does."""

    def stream(self, request: GenerationRequest) -> Iterator[Chunk]:
        chunks = super().stream(request)  # checks the model and the context, and records the request
        tools = request.options.tools
        if tools is None or tools.choice == "none" or (request.messages and request.messages[-1].role == "tool"):
            return chunks
        final = list(chunks)[-1]
        chosen = [t for t in tools.tools if t.name == tools.choice] or list(tools.tools)
        if tools.parallel is False:
            chosen = chosen[:1]
        said = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        pieces = []
        for i, tool in enumerate(chosen):
            properties = tool.parameters.get("properties") or {}
            arguments = {
                name: said if spec.get("type") == "string" else SAMPLES.get(spec.get("type"))
                for name, spec in properties.items()
            }
            pieces.append(ToolCallDelta(index=i, id=f"call_{i}", name=tool.name, arguments=json.dumps(arguments)))
        return iter(
            [
                Chunk(tool_calls=tuple(pieces)),
                Chunk(finish_reason="tool_calls", usage=final.usage, timings=final.timings),
            ]
        )
