"""Anthropic Messages tool use, as pure functions: the `tools`/`tool_choice` a request offers,
the turns that carry calls (`tool_use` blocks) and results (`tool_result` blocks), and the calls
an answer makes, whole or streamed (`content_block_start` of a tool_use block, then its input's
JSON text in `input_json_delta` fragments)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chi_llm.adapters.providers.http.stream_state import Event
from chi_llm.domain.messages import Message
from chi_llm.domain.tools import ToolCallDelta, ToolSet

Parse = Callable[[str | None, Any], Event | None]


def tools_payload(tools: ToolSet) -> dict[str, Any]:
    """`tools` (each with its `input_schema`) and `tool_choice` (auto, any, tool, none), with
    `disable_parallel_tool_use` when the request allows one call at a time."""
    declared = []
    for tool in tools.tools:
        entry: dict[str, Any] = {"name": tool.name}
        if tool.description:
            entry["description"] = tool.description
        entry["input_schema"] = dict(tool.parameters)
        declared.append(entry)
    choice: dict[str, Any]
    if tools.choice == "auto":
        choice = {"type": "auto"}
    elif tools.choice == "required":
        choice = {"type": "any"}
    elif tools.choice == "none":
        choice = {"type": "none"}
    else:
        choice = {"type": "tool", "name": tools.choice}
    if tools.parallel is False and choice["type"] != "none":
        choice["disable_parallel_tool_use"] = True
    return {"tools": declared, "tool_choice": choice}


RETIRED = "Used earlier in this conversation; not available now."


def declare_used(payload: dict[str, Any], messages: tuple[Message, ...]) -> None:
    """Anthropic refuses `tool_use`/`tool_result` blocks whose tools the request does not define
    ("must include tool definition"): each tool the history called that the request does not
    offer is declared (any input, described as not available), and with nothing offered the
    choice is `none`, so the model cannot call them."""
    declared = payload.setdefault("tools", [])
    names = {entry["name"] for entry in declared}
    for m in messages:
        for call in m.tool_calls:
            if call.name not in names:
                names.add(call.name)
                declared.append({"name": call.name, "description": RETIRED, "input_schema": {"type": "object"}})
    if not declared:
        del payload["tools"]
    elif "tool_choice" not in payload:
        payload["tool_choice"] = {"type": "none"}


def turns(messages: tuple[Message, ...]) -> list[dict[str, Any]]:
    """The non-system turns: an assistant's calls as `tool_use` blocks after its text; results
    as `tool_result` blocks in one user turn (consecutive results together, a user's text that
    follows them after them in the same turn, as Anthropic requires)."""
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "system":
            continue
        if m.role == "tool":
            block: dict[str, Any] = {"type": "tool_result", "tool_use_id": m.tool_call_id, "content": m.content}
            if m.is_error:
                block["is_error"] = True
            if _results_turn(out):
                out[-1]["content"].append(block)
            else:
                out.append({"role": "user", "content": [block]})
        elif m.role == "user" and _results_turn(out):
            out[-1]["content"].append({"type": "text", "text": m.content})
        elif m.role == "assistant" and m.tool_calls:
            blocks: list[dict[str, Any]] = [{"type": "text", "text": m.content}] if m.content else []
            blocks += [
                {"type": "tool_use", "id": c.id, "name": c.name, "input": dict(c.arguments)} for c in m.tool_calls
            ]
            out.append({"role": "assistant", "content": blocks})
        else:
            out.append({"role": m.role, "content": m.content})
    return out


def _results_turn(out: list[dict[str, Any]]) -> bool:
    last = out[-1] if out else None
    return bool(
        last is not None
        and last["role"] == "user"
        and isinstance(last["content"], list)
        and any(b.get("type") == "tool_result" for b in last["content"])
    )


def answer_calls(blocks: list[Any]) -> tuple[ToolCallDelta, ...]:
    """A whole answer's `tool_use` blocks as whole calls, numbered in their order."""
    uses = [b for b in blocks if b.get("type") == "tool_use"]
    return tuple(
        ToolCallDelta(
            index=i, id=b.get("id"), name=b.get("name"), arguments=json.dumps(b.get("input") or {}, ensure_ascii=False)
        )
        for i, b in enumerate(uses)
    )


class CallReader:
    """One stream's tool calls: a `tool_use` block's start names the call (numbered among the
    stream's tool_use blocks), each `input_json_delta` of that block adds to its arguments."""

    def __init__(self) -> None:
        self.calls: dict[int, int] = {}  # content block index -> the call's number

    def start(self, data: dict[str, Any]) -> ToolCallDelta | None:
        block = data.get("content_block") or {}
        if block.get("type") != "tool_use":
            return None
        number = self.calls.setdefault(int(data.get("index", 0)), len(self.calls))
        given = block.get("input") or {}
        arguments = json.dumps(given, ensure_ascii=False) if given else ""
        return ToolCallDelta(index=number, id=block.get("id"), name=block.get("name"), arguments=arguments)

    def piece(self, data: dict[str, Any]) -> ToolCallDelta | None:
        number = self.calls.get(int(data.get("index", 0)))
        if number is None:
            return None
        return ToolCallDelta(index=number, arguments=str((data.get("delta") or {}).get("partial_json", "")))

    def reading(self, parse: Parse) -> Parse:
        """A frame reader: tool_use blocks become call deltas; everything else as `parse` reads it."""

        def read(name: str | None, data: Any) -> Event | None:
            kind = data.get("type", name) if isinstance(data, dict) else name
            delta = None
            if kind == "content_block_start":
                delta = self.start(data)
            elif kind == "content_block_delta" and (data.get("delta") or {}).get("type") == "input_json_delta":
                delta = self.piece(data)
            else:
                return parse(name, data)
            return Event(tool_calls=(delta,)) if delta else None

        return read
