"""OpenAI Responses request bodies (`POST /v1/responses`) read into domain values: pure
functions, like `wire` for chat completions, whose option, schema and tool readers they reuse.

The server keeps no state: the whole conversation comes in `input` (messages, `function_call`
and `function_call_output` items), and what needs stored responses (`previous_response_id`,
`conversation`, `background`, stored prompts, item references) is refused with a 400 that says
so, as are image, file and audio inputs in the message answered (earlier ones stand as a note).
OpenAI's built-in tools (web search, file search, code interpreter, ...) are left out and named
in a header (clients such as Codex send them with every request). Fields that only tune
OpenAI's own service (metadata, user, reasoning, truncation, include, service_tier, store, ...)
are accepted and ignored."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, cast

from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.messages import Message, Role
from chi_llm.domain.tools import MODES, Tool, ToolCall, parse_arguments
from chi_llm.entrypoints.server import wire, wire_tools
from chi_llm.entrypoints.server.errors import HttpError, bad_request
from chi_llm.entrypoints.server.wire import ParsedRequest, flag, json_object, model_name

STATELESS = "this server keeps no responses: send the whole conversation in input (earlier turns as items)"
BUILT_IN = "OpenAI's built-in tools are not available here; only function tools (type 'function') are"
NEEDS_STATE = {
    "previous_response_id": f"previous_response_id needs a stored response; {STATELESS}",
    "conversation": f"conversation needs stored conversations; {STATELESS}",
    "prompt": "prompt (a stored prompt template) is not available here: send the text in instructions and input",
}
ROLES = ("user", "assistant", "system", "developer")
TEXT_PARTS = ("input_text", "output_text")
MEDIA_PARTS = ("input_image", "input_file", "input_audio")
CHOICES = 'tool_choice must be "auto", "none", "required" or {"type": "function", "name": ...}'


@dataclass(frozen=True, slots=True)
class ParsedResponses:
    """A Responses request: what to generate, and the request's settings a response echoes."""

    parsed: ParsedRequest
    echo: Mapping[str, Any]
    ignored: tuple[str, ...] = ()  # the types of built-in tools left out (X-Chi-Llm-Ignored-Tools)


IGNORED_HEADER = "X-Chi-Llm-Ignored-Tools"


def _offered(raw: Any) -> tuple[Any, tuple[str, ...]]:
    """`tools` without OpenAI's built-in and custom tools (web search, file search, code
    interpreter, image generation, MCP, shell, namespaces, free-form tools), and their types.
    Clients such as Codex send some with every request; refusing them would refuse the client,
    so they are left out, said in a header, as llama.cpp's server does. Each is an object with a
    string type, or it is refused as malformed."""
    if not isinstance(raw, list):
        return raw, ()
    kept, ignored = [], []
    for spec in raw:
        kind = spec.get("type") if isinstance(spec, Mapping) else None
        if isinstance(kind, str) and kind != "function":
            ignored.append(kind)
        else:
            kept.append(spec)
    return kept, tuple(ignored)


def _input_error(message: str) -> HttpError:
    return bad_request(message, param="input")


def _text(raw: Any, where: str, *, omit_media: bool = False) -> str:
    """Content: a string, or a list of text parts (joined); images, files and audio are refused,
    or with `omit_media` (an earlier turn, a tool's output) stand as wire.MEDIA_OMITTED."""
    if isinstance(raw, str):
        return raw
    if not isinstance(raw, list):
        raise _input_error(f"{where} must be a string or a list of input_text parts")
    texts: list[str] = []
    for position, part in enumerate(raw):
        kind = part.get("type") if isinstance(part, Mapping) else type(part).__name__
        if kind in MEDIA_PARTS and omit_media:
            texts.append(wire.MEDIA_OMITTED)
        elif kind in MEDIA_PARTS:
            raise _input_error(f"{where}[{position}]: {kind} is not supported here; send text (input_text)")
        elif kind == "refusal" and isinstance(part.get("refusal"), str):
            texts.append(part["refusal"])
        elif kind in TEXT_PARTS and isinstance(part.get("text"), str):
            texts.append(part["text"])
        else:
            raise _input_error(f"{where}[{position}] must be an input_text part with text, got {kind!r}")
    return "\n".join(texts)


def _message(item: Mapping[str, Any], where: str, last: bool) -> Message:
    role = item.get("role")
    if role not in ROLES:
        raise _input_error(f"{where}.role must be user, assistant, system or developer, got {role!r}")
    return Message(
        role=cast(Role, wire.ROLE_ALIASES.get(role, role)),
        content=_text(item.get("content"), f"{where}.content", omit_media=not last),
    )


def _call(item: Mapping[str, Any], where: str) -> ToolCall:
    call_id, name, arguments = item.get("call_id"), item.get("name"), item.get("arguments")
    if not isinstance(call_id, str) or not call_id:
        raise _input_error(f"{where}.call_id must be the call's id (a non-empty string)")
    if not isinstance(name, str) or not name:
        raise _input_error(f"{where}.name must be the tool's name (a non-empty string)")
    if not isinstance(arguments, str):
        raise _input_error(f"{where}.arguments must be the JSON text of the arguments (a string)")
    try:
        parsed = parse_arguments(name, arguments)
    except InvalidRequest as error:
        raise _input_error(f"{where}.arguments {error.message.split(' are ', 1)[-1]}") from None
    return ToolCall(id=call_id, name=name, arguments=parsed, raw=arguments)


def _result(item: Mapping[str, Any], where: str, asked: Mapping[str, str]) -> Message:
    call_id, output = item.get("call_id"), item.get("output")
    if not isinstance(call_id, str) or call_id not in asked:
        raise _input_error(
            f"{where} (function_call_output) answers no earlier call: no function_call item before it has "
            f"call_id {call_id!r}; {STATELESS}"
        )
    content = _text(output, f"{where}.output", omit_media=True)
    return Message(role="tool", content=content, tool_call_id=call_id, name=asked[call_id])


def _history(raw: Any) -> list[Message]:
    """`input`: a string (one user turn) or a list of items."""
    if isinstance(raw, str):
        return [Message(role="user", content=raw)]
    if not isinstance(raw, list) or not raw:
        raise _input_error("input must be a string or a non-empty list of items")
    out: list[Message] = []
    asked: dict[str, str] = {}  # call id -> tool name, of the calls made so far
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise _input_error(f"input[{index}] must be an object")
        _item(item, f"input[{index}]", out, asked, last=index == len(raw) - 1)
    return out


def _item(item: Mapping[str, Any], where: str, out: list[Message], asked: dict[str, str], *, last: bool) -> None:
    """One item added to the history `out`. An assistant's message and the function calls right
    after it are one turn, as chat completions carry them."""
    kind = item.get("type", "message")
    if kind == "message":
        out.append(_message(item, where, last))
    elif kind == "function_call":
        call = _call(item, where)
        if call.id in asked:
            raise _input_error(f"{where}.call_id {call.id!r} is given to two calls")
        asked[call.id] = call.name
        if out and out[-1].role == "assistant":
            out[-1] = replace(out[-1], tool_calls=(*out[-1].tool_calls, call))
        else:
            out.append(Message(role="assistant", content="", tool_calls=(call,)))
    elif kind == "function_call_output":
        out.append(_result(item, where, asked))
    elif kind == "item_reference":
        raise _input_error(f"{where}: item_reference needs stored items; {STATELESS}")
    elif kind != "reasoning":  # another model's reasoning summary: nothing this one can use
        built_in = f" ({BUILT_IN})" if isinstance(kind, str) and kind.endswith("_call") else ""
        raise _input_error(
            f"{where}.type must be message, function_call or function_call_output, got {kind!r}{built_in}"
        )


def _messages(body: Mapping[str, Any]) -> tuple[Message, ...]:
    instructions = body.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise bad_request("instructions must be a string", param="instructions")
    try:
        history = _history(body.get("input"))
        system = [Message(role="system", content=instructions)] if instructions else []
    except InvalidRequest as error:
        raise _input_error(error.message) from None
    return (*system, *history)


def _tool(spec: Any, index: int) -> Tool:
    where = f"tools[{index}]"
    if not isinstance(spec, Mapping):
        raise bad_request(f"{where} must be an object", param="tools")
    if spec.get("type") != "function":
        kind = spec.get("type")
        if kind == "custom":
            raise bad_request(
                f"{where}: custom (free-form) tools are not supported; send a function tool", param="tools"
            )
        raise bad_request(f"{where}: {BUILT_IN}; got type {kind!r}", param="tools")
    return wire_tools.function_tool(spec, where, where)


def _choice(value: Any) -> str:
    if value is None:
        return "auto"
    if isinstance(value, str) and value in MODES:
        return value
    if isinstance(value, Mapping) and value.get("type") == "function" and isinstance(value.get("name"), str):
        return str(value["name"])
    if isinstance(value, Mapping) and value.get("type") == "allowed_tools":
        raise bad_request(
            "tool_choice allowed_tools is not supported: send only the tools the model may call, with tool_choice "
            '"auto" or "required"',
            param="tool_choice",
        )
    if isinstance(value, Mapping) and isinstance(value.get("type"), str) and value["type"] != "function":
        raise bad_request(f"tool_choice {value['type']!r}: {BUILT_IN}", param="tool_choice")
    raise bad_request(f"{CHOICES}; got {value!r}", param="tool_choice")


def _text_format(body: Mapping[str, Any]) -> dict[str, Any] | None:
    """`text.format` as chat completions' `response_format` (read there, schema and all)."""
    text = body.get("text")
    if text is None:
        return None
    spec = text.get("format") if isinstance(text, Mapping) else None
    if not isinstance(text, Mapping) or (spec is not None and not isinstance(spec, Mapping)):
        raise bad_request('text must be an object like {"format": {"type": "text"}}', param="text")
    if spec is None or spec.get("type") == "text":
        return None
    kind = spec.get("type")
    if kind == "json_object":
        return {"type": "json_object"}
    if kind != "json_schema":
        raise bad_request(f"text.format.type must be text, json_object or json_schema, got {kind!r}", param="text")
    schema = spec.get("schema")
    if not isinstance(schema, Mapping):
        raise bad_request("text.format.schema must be the JSON Schema the answer follows (an object)", param="text")
    if spec.get("name") is not None and not isinstance(spec.get("name"), str):
        raise bad_request("text.format.name must be a string", param="text")
    return {"type": "json_schema", "json_schema": {"name": spec.get("name"), "schema": schema}}


def _refuse_stateful(body: Mapping[str, Any]) -> None:
    for name, message in NEEDS_STATE.items():
        if body.get(name) is not None:
            raise bad_request(message, param=name)
    if body.get("background"):
        raise bad_request(f"background responses need stored responses; {STATELESS}", param="background")
    if body.get("top_logprobs") not in (None, 0):
        raise bad_request("logprobs are not supported by chi-llm serve", param="top_logprobs")


def responses_request(body: Any) -> ParsedResponses:
    """A `/v1/responses` body: the request, and the settings its answer repeats."""
    body = json_object(body)
    _refuse_stateful(body)
    max_output = body.get("max_output_tokens")
    if max_output is not None and (isinstance(max_output, bool) or not isinstance(max_output, int) or max_output < 1):
        raise bad_request("max_output_tokens must be a whole number of at least 1", param="max_output_tokens")
    text_format = _text_format(body)
    settings = {"temperature": body.get("temperature"), "top_p": body.get("top_p"), "max_tokens": max_output}
    options = wire.options({**settings, "response_format": text_format})
    offered, ignored = _offered(body.get("tools"))
    tools = wire_tools.tool_set(
        {
            "tools": offered,
            "tool_choice": body.get("tool_choice"),
            "parallel_tool_calls": body.get("parallel_tool_calls"),
        },
        _tool,
        _choice,
    )
    parsed = ParsedRequest(
        model=model_name(body),
        options=replace(options, tools=tools) if tools else options,
        stream=flag(body, "stream"),
        messages=_messages(body),
    )
    metadata = body.get("metadata")
    echo = {
        "instructions": body.get("instructions"),
        "max_output_tokens": max_output,
        "temperature": options.temperature,
        "top_p": options.top_p,
        "parallel_tool_calls": tools.parallel is not False if tools else True,
        "tool_choice": body.get("tool_choice") or "auto",
        "tools": list(offered or []),
        "text": {"format": dict(body["text"]["format"]) if text_format else {"type": "text"}},
        "metadata": dict(metadata) if isinstance(metadata, Mapping) else {},
    }
    return ParsedResponses(parsed, echo, ignored)


__all__ = ["ParsedResponses", "responses_request"]
