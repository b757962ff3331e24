"""A conversation with tools as a local model's chat template takes it.

A template that renders `tools` itself (Qwen2.5/3, Llama 3.1+, Hermes, Mistral v0.3...) gets them,
and the history's calls and results, in the shapes Hugging Face templates expect. Any other
template gets the generic format: a system-prompt section listing the tools as JSON and saying
how to call one, calls in the history written as the model should write them, and tool results
as a user turn (plain templates know only system, user and assistant).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from chi_llm.adapters.llama_cpp.tool_syntax import CallSyntax
from chi_llm.adapters.providers.openai_tools import function
from chi_llm.adapters.tool_text import arguments_text
from chi_llm.domain.messages import Message
from chi_llm.domain.tools import ToolSet

GENERIC = """# Tools

You may call one or more of these tools to help answer. They are described here as JSON:
<tools>
{tools}
</tools>

To call a tool, answer with only this, one block per call:
<tool_call>
{{"name": "<the tool's name>", "arguments": <the arguments as a JSON object>}}
</tool_call>
The results come back in <tool_response></tool_response> blocks."""


def specs(tools: ToolSet | None) -> list[dict[str, Any]] | None:
    """The tools as Hugging Face templates take them (None: none offered, or tool_choice none)."""
    if tools is None or tools.choice == "none":
        return None
    return [function(t.name, t.description, t.parameters) for t in tools.tools]


def _arguments(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:  # the text a model wrote: passed as it is
        return raw


def native_turns(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Turns for a template that renders tools: a turn without calls or results is
    `{role, content}` as ever; calls carry their arguments as a mapping (templates `tojson` them)."""
    turns: list[dict[str, Any]] = []
    for m in messages:
        turn: dict[str, Any] = {"role": m.role, "content": m.content}
        if m.tool_calls:
            turn["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": _arguments(arguments_text(c))},
                }
                for c in m.tool_calls
            ]
        if m.role == "tool":
            turn.update(tool_call_id=m.tool_call_id, name=m.name or "")
        turns.append(turn)
    return turns


def _response(m: Message) -> str:
    result: dict[str, object] = {"name": m.name or "", "id": m.tool_call_id, "content": m.content}
    if m.is_error:
        result["error"] = True
    return f"<tool_response>\n{json.dumps(result, ensure_ascii=False)}\n</tool_response>"


def generic_turns(messages: Sequence[Message], tools: ToolSet | None, syntax: CallSyntax) -> list[dict[str, Any]]:
    """Turns for a template without tools: `{role, content}` only (unchanged when the request
    has no tools and no tool turns)."""
    turns: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "tool":
            text = _response(m)
            if turns and turns[-1].get("results"):
                turns[-1]["content"] += "\n" + text
            else:
                turns.append({"role": "user", "content": text, "results": True})
            continue
        content = m.content
        if m.tool_calls:
            calls = syntax.separator.join(syntax.text(c.name, arguments_text(c)) for c in m.tool_calls)
            content = f"{content}\n{calls}" if content else calls
        turns.append({"role": m.role, "content": content})
    offered = specs(tools)
    if offered is not None:
        section = GENERIC.format(tools="\n".join(json.dumps(spec, ensure_ascii=False) for spec in offered))
        if turns and turns[0]["role"] == "system":
            turns[0] = {"role": "system", "content": f"{turns[0]['content']}\n\n{section}"}
        else:
            turns.insert(0, {"role": "system", "content": section})
    return [{"role": t["role"], "content": t["content"]} for t in turns]
