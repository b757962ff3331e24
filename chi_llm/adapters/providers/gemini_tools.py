"""Gemini function calling, as pure functions: `functionDeclarations` (parameters in Gemini's
OpenAPI subset of JSON Schema), `toolConfig.functionCallingConfig`, `functionCall` parts in model
turns and `functionResponse` parts for results, and the calls an answer's parts make.

Gemini gives calls no ids (older models) or its own: a call's id is Gemini's when given, else
made from its place in the conversation and its content (the same for a whole answer and its
stream, never repeated in a conversation). A call's
`thoughtSignature`, which Gemini 3 requires back with the call, travels inside the id after
SIGNED, so it survives any client that echoes ids."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.messages import Message
from chi_llm.domain.tools import ToolCallDelta, ToolSet

SIGNED = "#sig="  # never in base64 text nor in the ids we make
MODES = {"auto": "AUTO", "required": "ANY", "none": "NONE"}
# Keywords with no Gemini equivalent that change which arguments are valid: refused, not dropped.
FORMATS = frozenset({"enum", "date-time", "float", "double", "int32", "int64"})  # the ones the Gemini API knows
REFUSED = ("allOf", "not", "if", "then", "else", "patternProperties", "dependentSchemas", "dependentRequired")


def tools_payload(tools: ToolSet, convert: Callable[[Any], Any]) -> dict[str, Any]:
    """`tools` and `toolConfig` for a request. `convert`: the schema subset filter (gemini_schema)."""
    declarations = []
    for tool in tools.tools:
        entry: dict[str, Any] = {"name": tool.name}
        if tool.description:
            entry["description"] = tool.description
        if tool.parameters.get("properties"):  # Gemini refuses an object with no properties
            entry["parameters"] = convert(parameters(tool.name, tool.parameters))
        declarations.append(entry)
    config: dict[str, Any] = {"mode": MODES.get(tools.choice, "ANY")}
    if tools.choice not in MODES:
        config["allowedFunctionNames"] = [tools.choice]
    return {"tools": [{"functionDeclarations": declarations}], "toolConfig": {"functionCallingConfig": config}}


def parameters(name: str, schema: Mapping[str, Any]) -> Any:
    """A tool's JSON Schema in the shape Gemini reads: local `$ref`s inlined, `type: [T, "null"]`
    as `nullable`, `const` as a one-value enum, `oneOf` as `anyOf`, enum values as text, formats
    it does not know left out; what it cannot express is a clear error naming the tool."""
    definitions = {**schema.get("definitions", {}), **schema.get("$defs", {})}
    return _walk(dict(schema), name, definitions, ())


def _walk(node: Any, name: str, definitions: Mapping[str, Any], seen: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_walk(n, name, definitions, seen) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        key = _target(str(node["$ref"]), name, definitions, seen)
        rest = {k: v for k, v in node.items() if k != "$ref"}
        return _walk({**definitions[key], **rest}, name, definitions, (*seen, key))
    refused = [k for k in REFUSED if k in node]
    if refused:
        raise InvalidRequest(
            f"tool {name!r}: gemini's schema dialect has no {', '.join(refused)}; describe the arguments "
            "with type, properties, required, enum, items and anyOf"
        )
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {prop: _walk(v, name, definitions, seen) for prop, v in value.items()}
        elif key not in ("$defs", "definitions"):
            out[key] = _walk(value, name, definitions, seen)
    return _dialect(out)


def _target(ref: str, name: str, definitions: Mapping[str, Any], seen: tuple[str, ...]) -> str:
    """The definition a local `$ref` names; a clear error for any other, or for a cycle."""
    key = ref.rsplit("/", 1)[-1]
    if not ref.startswith(("#/$defs/", "#/definitions/")) or key not in definitions:
        raise InvalidRequest(f"tool {name!r}: gemini cannot follow the schema reference {ref!r}")
    if key in seen:
        raise InvalidRequest(f"tool {name!r}: gemini cannot take a recursive schema ({ref!r} refers to itself)")
    return key


def _dialect(out: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema spellings Gemini lacks, in the ones it has."""
    if "oneOf" in out:
        out["anyOf"] = out.pop("oneOf")
    if "const" in out:
        out["enum"] = [out.pop("const")]
    if isinstance(out.get("type"), list):
        kinds = [k for k in out["type"] if k != "null"]
        if len(kinds) != len(out["type"]):
            out["nullable"] = True
        if len(kinds) == 1:
            out["type"] = kinds[0]
        else:
            del out["type"]
            out["anyOf"] = [{"type": k} for k in kinds]
    if "enum" in out:
        out["enum"] = [v if isinstance(v, str) else json.dumps(v) for v in out["enum"]]
    if out.get("format") not in FORMATS:
        out.pop("format", None)  # another format is refused by the API; it only hinted anyway
    return out


def contents(messages: tuple[Message, ...]) -> list[dict[str, Any]]:
    """The non-system turns: an assistant's calls as `functionCall` parts after its text (with the
    thought signature its id carries); results as `functionResponse` parts (`output`, or `error`
    when the tool failed) in one user turn, consecutive results together and a user's text that
    follows them after them."""
    out: list[dict[str, Any]] = []
    names: dict[str, str] = {}  # call id -> tool name, for results that do not name their tool
    for m in messages:
        if m.role == "system":
            continue
        if m.role == "tool":
            name = m.name or names.get(str(m.tool_call_id))
            if not name:
                raise InvalidRequest(
                    f"gemini needs the tool's name with each result: the result for call {m.tool_call_id!r} "
                    "names no tool and answers no call in the history"
                )
            part = {"functionResponse": {"name": name, "response": {"error" if m.is_error else "output": m.content}}}
            if _results_turn(out):
                out[-1]["parts"].append(part)
            else:
                out.append({"role": "user", "parts": [part]})
        elif m.role == "user" and _results_turn(out):
            out[-1]["parts"].append({"text": m.content})
        elif m.role == "assistant" and m.tool_calls:
            parts: list[dict[str, Any]] = [{"text": m.content}] if m.content else []
            for call in m.tool_calls:
                names[call.id] = call.name
                made: dict[str, Any] = {"functionCall": {"name": call.name, "args": dict(call.arguments)}}
                if SIGNED in call.id:
                    made["thoughtSignature"] = call.id.split(SIGNED, 1)[1]
                parts.append(made)
            out.append({"role": "model", "parts": parts})
        else:
            out.append({"role": "model" if m.role == "assistant" else "user", "parts": [{"text": m.content}]})
    return out


def _results_turn(out: list[dict[str, Any]]) -> bool:
    """Whether the last turn so far holds function results (and so takes more, and a user's text)."""
    return bool(out) and out[-1]["role"] == "user" and any("functionResponse" in p for p in out[-1]["parts"])


def call_delta(part: Mapping[str, Any], index: int, ordinal: int) -> ToolCallDelta:
    """A `functionCall` part as a whole call numbered `index` in its answer (Gemini sends each call
    whole); a made id counts `ordinal`, the call's place in the conversation, so ids never repeat."""
    call = part["functionCall"]
    name = str(call.get("name", ""))
    arguments = json.dumps(call.get("args") or {}, ensure_ascii=False)
    made = f"call_{ordinal}_{hashlib.sha256((name + arguments).encode()).hexdigest()[:8]}"
    ident = str(call.get("id") or made)
    if part.get("thoughtSignature"):
        ident += SIGNED + str(part["thoughtSignature"])
    return ToolCallDelta(index=index, id=ident, name=name, arguments=arguments)


def part_calls(parts: list[Any], first: int, earlier: int = 0) -> tuple[ToolCallDelta, ...]:
    """The calls among a candidate's parts, numbered from `first`; `earlier`: the calls the
    conversation made before this answer."""
    found = [p for p in parts if isinstance(p, dict) and "functionCall" in p]
    return tuple(call_delta(p, first + i, earlier + first + i) for i, p in enumerate(found))


def earlier_calls(messages: tuple[Message, ...]) -> int:
    """The calls a conversation made so far (where a new answer's call ids start counting)."""
    return sum(len(m.tool_calls) for m in messages)
