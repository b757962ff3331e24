"""Anthropic's `tools` and `tool_choice` read into a ToolSet: client tools (`name`,
`description`, `input_schema`) only. Anthropic's server tools (web search, web fetch, bash, the
text editor, computer use, code execution, memory), which carry a versioned `type`, run on
Anthropic's side and are refused with a 400 saying so. Pure functions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chi_llm.domain.tools import Tool, ToolSet
from chi_llm.entrypoints.server import wire_tools
from chi_llm.entrypoints.server.errors import bad_request

CHOICES = 'tool_choice must be {"type": "auto"}, {"type": "any"}, {"type": "none"} or {"type": "tool", "name": ...}'


def _tool(spec: Any, index: int) -> Tool:
    """A client tool: checked as chat's function tools are (wire_tools.function_tool), its
    schema under `input_schema`, which Anthropic requires."""
    where = f"tools[{index}]"
    if not isinstance(spec, Mapping):
        raise wire_tools.tools_error(f"{where} must be an object with a name and an input_schema")
    kind = spec.get("type")
    if kind not in (None, "custom"):
        raise wire_tools.tools_error(
            f"{where}: {kind!r} is one of Anthropic's server tools, which run on Anthropic's side and are not "
            "available on chi-llm serve; declare a client tool (name, description, input_schema) and run it yourself"
        )
    if not isinstance(spec.get("input_schema"), Mapping):
        raise wire_tools.tools_error(f"{where}.input_schema must be the JSON Schema of the tool's input (an object)")
    return wire_tools.function_tool(spec, where, where, schema="input_schema")


def _choice(value: Any) -> tuple[str, bool | None]:
    """(the domain's choice, parallel): auto, required (`any`), none, or a tool's name."""
    if value is None:
        return "auto", None
    if not isinstance(value, Mapping):
        raise bad_request(f"{CHOICES}; got {value!r}", param="tool_choice")
    kind, name, single = value.get("type"), value.get("name"), value.get("disable_parallel_tool_use")
    if single is not None and not isinstance(single, bool):
        raise bad_request("tool_choice.disable_parallel_tool_use must be true or false", param="tool_choice")
    parallel = None if single is None else not single
    if kind in ("auto", "none"):
        return str(kind), parallel
    if kind == "any":
        return "required", parallel
    if kind == "tool" and isinstance(name, str):
        return name, parallel
    raise bad_request(f"{CHOICES}; got {value!r}", param="tool_choice")


def tool_set(body: Mapping[str, Any]) -> ToolSet | None:
    """The tools a request offers (None without any); a choice that asks for a call needs them
    (wire_tools.tool_set, with Anthropic's tool and tool_choice shapes)."""
    return wire_tools.tool_set(
        body,
        read_tool=_tool,
        read_choice=lambda value: _choice(value)[0],
        read_parallel=lambda whole: _choice(whole.get("tool_choice"))[1],
    )
