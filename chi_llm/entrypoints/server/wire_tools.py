"""OpenAI's tool fields read into domain values: `tools` (function tools only), `tool_choice`,
`parallel_tool_calls`, and the tool turns of a history (an assistant's `tool_calls`, `role: tool`
results). Pure functions; each mistake is a 400 naming the field, as OpenAI's API answers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chi_llm.adapters.json_schema import JsonSchemaValidator
from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.tools import MODES, Tool, ToolCall, ToolSet, parse_arguments
from chi_llm.entrypoints.server.errors import HttpError, bad_request

MAX_TOOLS = 128  # OpenAI's own limit; also bounds the schema checks one request costs
NO_ARGUMENTS = {"type": "object", "properties": {}}
CHOICES = 'tool_choice must be "auto", "none", "required" or {"type": "function", "function": {"name": ...}}'
schema_checker = JsonSchemaValidator()  # every API's tool schemas are checked by it


def tools_error(message: str) -> HttpError:
    """A 400 about `tools` (every API's)."""
    return bad_request(message, param="tools")


def _tool(spec: Any, index: int) -> Tool:
    where = f"tools[{index}]"
    if not isinstance(spec, Mapping):
        raise tools_error(f"{where} must be an object")
    if spec.get("type") != "function":
        raise tools_error(f"{where}: only function tools are supported (type 'function'), got {spec.get('type')!r}")
    function = spec.get("function")
    if not isinstance(function, Mapping):
        raise tools_error(f"{where}.function must be an object with the tool's name")
    return function_tool(function, where, f"{where}.function")


def function_tool(function: Mapping[str, Any], where: str, fields: str, schema: str = "parameters") -> Tool:
    """A function tool from the object holding its name, description, strict and arguments'
    schema (under `schema`: Anthropic calls it input_schema; `fields`: where that object is in
    the body, as errors name it; `where`: the tool's place)."""
    name, description = function.get("name"), function.get("description")
    if not isinstance(name, str):
        raise tools_error(f"{fields}.name must be a string")
    if description is not None and not isinstance(description, str):
        raise tools_error(f"{fields}.description must be a string")
    if function.get("strict") is not None and not isinstance(function.get("strict"), bool):
        raise tools_error(f"{fields}.strict must be true or false")
    try:
        return Tool(name=name, description=description or "", parameters=_parameters(function, fields, schema))
    except InvalidRequest as error:
        raise tools_error(f"{where}: {error.message}") from None


def _parameters(function: Mapping[str, Any], fields: str, schema: str) -> dict[str, Any]:
    """The arguments' JSON Schema (none, or `{}`: a tool without arguments), checked."""
    parameters = function.get(schema)
    if parameters is None or parameters == {}:
        return dict(NO_ARGUMENTS)
    if not isinstance(parameters, Mapping):
        raise tools_error(f"{fields}.{schema} must be a JSON Schema object")
    problems = schema_checker.check_schema(parameters)
    if problems:
        raise tools_error(f"{fields}.{schema} is not a valid JSON Schema: {problems[0]}")
    return dict(parameters)


def _choice(value: Any) -> str:
    if value is None:
        return "auto"
    if isinstance(value, str) and value in MODES:
        return value
    if isinstance(value, Mapping) and value.get("type") == "function":
        function = value.get("function")
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            return str(function["name"])
    raise bad_request(f"{CHOICES}; got {value!r}", param="tool_choice")


def _parallel(body: Mapping[str, Any]) -> bool | None:
    parallel = body.get("parallel_tool_calls")
    if parallel is not None and not isinstance(parallel, bool):
        raise bad_request("parallel_tool_calls must be true or false", param="parallel_tool_calls")
    return parallel


def tool_set(
    body: Mapping[str, Any],
    read_tool: Callable[[Any, int], Tool] = _tool,
    read_choice: Callable[[Any], str] = _choice,
    read_parallel: Callable[[Mapping[str, Any]], bool | None] = _parallel,
) -> ToolSet | None:
    """The tools a chat request offers (None without any). `tool_choice` auto or none with no
    tools is accepted, as before; one that asks for a call needs tools. Another API reads its
    own tool, tool_choice and parallel-calls shapes with `read_tool`, `read_choice` and
    `read_parallel`."""
    if body.get("functions"):  # OpenAI's retired function calling (function_call alone is ignored, as ever)
        raise bad_request(
            "functions is OpenAI's retired form of tool calling; send tools and tool_choice", param="functions"
        )
    raw, choice = body.get("tools"), body.get("tool_choice")
    if raw is None or raw == []:
        if choice is not None and read_choice(choice) not in ("auto", "none"):
            raise bad_request(f"tool_choice {choice!r} needs tools: send the tools it may call", param="tool_choice")
        return None
    if not isinstance(raw, list):
        raise tools_error("tools must be a list of function tools")
    if len(raw) > MAX_TOOLS:
        raise tools_error(f"a request offers at most {MAX_TOOLS} tools, got {len(raw)}")
    tools = tuple(read_tool(spec, index) for index, spec in enumerate(raw))
    chosen = read_choice(choice)
    parallel = read_parallel(body)
    if chosen not in MODES and chosen not in {tool.name for tool in tools}:
        names = ", ".join(tool.name for tool in tools)
        raise bad_request(
            f"tool_choice names {chosen!r}, which is not among the tools given ({names})", param="tool_choice"
        )
    try:
        return ToolSet(tools=tools, choice=chosen, parallel=parallel)
    except InvalidRequest as error:  # a name given twice
        raise tools_error(error.message) from None


def _messages_error(message: str) -> HttpError:
    return bad_request(message, param="messages")


def _call(raw: Any, where: str) -> ToolCall:
    if not isinstance(raw, Mapping):
        raise _messages_error(f"{where} must be an object")
    if raw.get("type", "function") != "function":
        raise _messages_error(f"{where}: only function tool calls are supported, got type {raw.get('type')!r}")
    call_id, function = raw.get("id"), raw.get("function")
    if not isinstance(call_id, str) or not call_id:
        raise _messages_error(f"{where}.id must be the call's id (a non-empty string)")
    if not isinstance(function, Mapping):
        raise _messages_error(f"{where}.function must be an object with the tool's name and arguments")
    name, arguments = function.get("name"), function.get("arguments")
    if not isinstance(name, str) or not name:
        raise _messages_error(f"{where}.function.name must be the tool's name (a non-empty string)")
    if not isinstance(arguments, str):
        raise _messages_error(f"{where}.function.arguments must be the JSON text of the arguments (a string)")
    try:
        parsed = parse_arguments(name, arguments)
    except InvalidRequest as error:
        reason = error.message.replace(f"the model's arguments for tool {name!r} are", "is")
        raise _messages_error(f"{where}.function.arguments {reason}") from None
    return ToolCall(id=call_id, name=name, arguments=parsed, raw=arguments)


def calls(raw: Any, index: int) -> tuple[ToolCall, ...]:
    """An assistant turn's `tool_calls` (none: empty)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _messages_error(f"messages[{index}].tool_calls must be a list")
    made = tuple(_call(call, f"messages[{index}].tool_calls[{position}]") for position, call in enumerate(raw))
    seen: set[str] = set()
    for position, call in enumerate(made):
        if call.id in seen:  # a result could not say which of them it answers
            raise _messages_error(f"messages[{index}].tool_calls[{position}].id {call.id!r} is given twice in one turn")
        seen.add(call.id)
    return made


def answered(message: Mapping[str, Any], index: int, asked: Mapping[str, str]) -> tuple[str, str]:
    """A `role: tool` turn's (tool_call_id, tool name): it must answer a call made earlier in
    the history (`asked`: call id -> tool name), as OpenAI requires."""
    call_id = message.get("tool_call_id")
    if not isinstance(call_id, str) or not call_id:
        raise _messages_error(f"messages[{index}].tool_call_id must name the call this result answers")
    if call_id not in asked:
        raise _messages_error(
            f"messages[{index}] (role tool) answers no earlier call: no assistant turn before it has a tool call "
            f"with id {call_id!r}"
        )
    return call_id, asked[call_id]


__all__ = ["MAX_TOOLS", "answered", "calls", "function_tool", "tool_set"]
