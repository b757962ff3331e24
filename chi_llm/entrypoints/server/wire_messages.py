"""Anthropic Messages request bodies (`POST /v1/messages`, `/v1/messages/count_tokens`) read into
domain values: pure functions, testable without a socket.

What a local model cannot honour is refused with a 400 that says so: images and documents,
Anthropic's server tools (web search, bash, the text editor, computer use, code execution), the
MCP connector, and a last assistant turn to continue (prefill). `top_k`, `metadata`,
`service_tier`, `cache_control`, `output_config.effort` and `thinking` are accepted and ignored: they tune or describe
the request without changing what it asks for, and `thinking` is what Claude Code sends by
default; the answer then simply has no thinking blocks (a local model's reasoning, if it writes
any, is in its text). Thinking blocks of earlier turns are dropped for the same reason."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.generation import GenerationOptions, GenerationRequest
from chi_llm.domain.messages import Message
from chi_llm.domain.tools import ToolCall
from chi_llm.entrypoints.server import wire
from chi_llm.entrypoints.server.errors import HttpError, bad_request
from chi_llm.entrypoints.server.wire_messages_tools import tool_set

MAX_STOPS = 32  # stop sequences one request may give (each is checked at every token)
IGNORED_BLOCKS = ("thinking", "redacted_thinking")


def _error(message: str) -> HttpError:
    return bad_request(message, param="messages")


def _text_blocks(raw: Any, where: str, *, omit_media: bool = False) -> str:
    """A string, or a list of text blocks joined (what `system` and a tool result hold); with
    `omit_media` (a tool result) an image or document stands as wire.MEDIA_OMITTED."""
    if isinstance(raw, str):
        return raw
    if not isinstance(raw, list):
        raise _error(f"{where} must be a string or a list of text blocks")
    texts = []
    for position, block in enumerate(raw):
        if omit_media and _kind(block) in MEDIA:
            texts.append(wire.MEDIA_OMITTED)
            continue
        if _kind(block) != "text" or not isinstance(block.get("text"), str):
            raise _error(f"{where}[{position}]: only text blocks are supported here, got {_kind(block)!r}")
        texts.append(block["text"])
    return "\n".join(texts) if len(texts) > 1 else "".join(texts)


def _kind(block: Any) -> Any:
    return block.get("type") if isinstance(block, Mapping) else type(block).__name__


MEDIA = ("image", "document")


def _refused(kind: Any, where: str) -> HttpError:
    if kind in (*MEDIA, "search_result", "container_upload"):
        return _error(f"{where}: {kind} blocks are not supported by chi-llm serve; send text")
    return _error(f"{where}: content blocks of type {kind!r} are not supported (text, tool_use, tool_result are)")


def _call(block: Mapping[str, Any], where: str) -> ToolCall:
    call_id, name, given = block.get("id"), block.get("name"), block.get("input", {})
    if not isinstance(call_id, str) or not call_id:
        raise _error(f"{where}.id must be the call's id (a non-empty string)")
    if not isinstance(name, str) or not name:
        raise _error(f"{where}.name must be the tool's name (a non-empty string)")
    if not isinstance(given, Mapping):
        raise _error(f"{where}.input must be an object (the tool's arguments)")
    return ToolCall(id=call_id, name=name, arguments=dict(given), raw=json.dumps(given, ensure_ascii=False))


def _assistant(blocks: list[Any], where: str) -> Message:
    texts: list[str] = []
    calls: list[ToolCall] = []
    for position, block in enumerate(blocks):
        kind, at = _kind(block), f"{where}[{position}]"
        if kind == "text" and isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif kind == "tool_use":
            calls.append(_call(block, at))
        elif kind not in IGNORED_BLOCKS:
            raise _refused(kind, at)
    if len({call.id for call in calls}) < len(calls):
        raise _error(f"{where}: two tool_use blocks have the same id")
    return Message(role="assistant", content="\n".join(texts), tool_calls=tuple(calls))


def _result(block: Mapping[str, Any], where: str, asked: Mapping[str, str]) -> Message:
    call_id, failed = block.get("tool_use_id"), block.get("is_error", False)
    if not isinstance(call_id, str) or call_id not in asked:
        raise _error(f"{where}.tool_use_id must name a tool_use block of an earlier assistant turn, got {call_id!r}")
    if not isinstance(failed, bool):
        raise _error(f"{where}.is_error must be true or false")
    content = _text_blocks(block.get("content", ""), f"{where}.content", omit_media=True)
    return Message(role="tool", content=content, tool_call_id=call_id, name=asked[call_id], is_error=failed)


def _user(blocks: list[Any], where: str, asked: Mapping[str, str], last: bool) -> list[Message]:
    """A user turn's blocks in order: its tool results as tool messages, its text between them
    as user messages. An image or document is refused in the last turn (the one answered), and
    stands as wire.MEDIA_OMITTED in earlier ones (refused there, a conversation could never go on)."""
    out: list[Message] = []
    texts: list[str] = []
    for position, block in enumerate(blocks):
        kind, at = _kind(block), f"{where}[{position}]"
        if kind == "text" and isinstance(block.get("text"), str):
            texts.append(block["text"])
            continue
        if kind in MEDIA and not last:
            texts.append(wire.MEDIA_OMITTED)
            continue
        if kind != "tool_result":
            raise _refused(kind, at)
        if texts:
            out.append(Message(role="user", content="\n".join(texts)))
            texts = []
        out.append(_result(block, at, asked))
    if texts or not out:
        out.append(Message(role="user", content="\n".join(texts)))
    return out


def _turn(message: Any, index: int, asked: dict[str, str], last: bool) -> list[Message]:
    where = f"messages[{index}]"
    if not isinstance(message, Mapping):
        raise _error(f"{where} must be an object with a role and content")
    role, content = message.get("role"), message.get("content")
    if role not in ("user", "assistant"):
        hint = " (the system prompt goes in the top-level system field)" if role == "system" else ""
        raise _error(f"{where}.role must be user or assistant, got {role!r}{hint}")
    if isinstance(content, str):
        return [Message(role=role, content=content)]
    if not isinstance(content, list):
        raise _error(f"{where}.content must be a string or a list of content blocks")
    if role == "user":
        return _user(content, f"{where}.content", asked, last)
    turn = _assistant(content, f"{where}.content")
    asked.update((call.id, call.name) for call in turn.tool_calls)
    return [turn]


def messages(body: Mapping[str, Any]) -> tuple[Message, ...]:
    """`system` then `messages`, as domain messages."""
    raw = body.get("messages")
    if not isinstance(raw, list) or not raw:
        raise _error("messages must be a non-empty list of turns")
    out: list[Message] = []
    system = body.get("system")
    if system is not None:
        text = _text_blocks(system, "system")
        if text:
            out.append(Message(role="system", content=text))
    asked: dict[str, str] = {}  # tool_use id -> tool name, of the calls made so far
    try:
        for index, message in enumerate(raw):
            out += _turn(message, index, asked, index == len(raw) - 1)
    except InvalidRequest as error:  # text that is not UTF-8, a tool turn the domain refuses
        raise _error(error.message) from None
    if out[-1].role == "assistant":
        raise _error(
            "the last message is the assistant's: continuing an assistant's turn (prefill) is not supported; "
            "end with a user turn"
        )
    return tuple(out)


def _stops(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise bad_request("stop_sequences must be a list of strings", param="stop_sequences")
    if len(value) > MAX_STOPS:
        raise bad_request(f"stop_sequences takes at most {MAX_STOPS} sequences", param="stop_sequences")
    return tuple(s for s in value if s)


def _output_format(body: Mapping[str, Any]) -> dict[str, Any]:
    """Structured output (`output_config.format`, or the beta's `output_format`): a JSON Schema the
    answer is bound to, as chat completions' json_schema response_format is. `effort` is ignored."""
    config = body.get("output_config")
    if config is not None and not isinstance(config, Mapping):
        raise bad_request("output_config must be an object", param="output_config")
    given = (config or {}).get("format") or body.get("output_format")
    if given is None:
        return {}
    if (
        not isinstance(given, Mapping)
        or given.get("type") != "json_schema"
        or not isinstance(given.get("schema"), Mapping)
    ):
        raise bad_request(
            'output_config.format must be {"type": "json_schema", "schema": {...}}', param="output_config"
        )
    return wire.response_format({"type": "json_schema", "json_schema": {"name": "output", "schema": given["schema"]}})


def _refuse_unsupported(body: Mapping[str, Any]) -> None:
    if body.get("mcp_servers"):
        raise bad_request("mcp_servers (Anthropic's MCP connector) is not available on chi-llm serve")
    wire.whole_number(body, "top_k")  # accepted (no counterpart here), but a number


def options(body: Mapping[str, Any], *, counting: bool = False) -> GenerationOptions:
    """Sampling and limits; `max_tokens` is required, as Anthropic requires it (not to count)."""
    max_tokens = wire.whole_number(body, "max_tokens")
    if max_tokens is None and not counting:
        raise bad_request("max_tokens: Field required (the most tokens the answer may take)", param="max_tokens")
    if max_tokens is not None and max_tokens < 1:
        raise bad_request("max_tokens must be at least 1", param="max_tokens")
    try:
        return GenerationOptions(
            temperature=wire.number(body, "temperature"),
            top_p=wire.number(body, "top_p"),
            max_tokens=max_tokens,
            stop=_stops(body.get("stop_sequences")),
            **_output_format(body),
        )
    except InvalidRequest as error:
        raise bad_request(error.message) from None


def _read(body: Any, *, counting: bool) -> wire.ParsedRequest:
    body = wire.json_object(body)
    _refuse_unsupported(body)
    tools = tool_set(body)
    chosen = options(body, counting=counting)
    return wire.ParsedRequest(
        model=wire.model_name(body),
        options=replace(chosen, tools=tools) if tools else chosen,
        stream=False if counting else wire.flag(body, "stream"),
        messages=messages(body),
    )


TURN_TOKENS = 4  # an estimate of what a chat template adds around each turn


def estimate(request: GenerationRequest, count: Callable[[str], int]) -> int:
    """The prompt's tokens where the backend cannot count them: each turn's text (and calls) and
    the tools' schemas in `count` (a backend's tokenizer, or its estimate), plus a few per turn."""
    texts = [m.content for m in request.messages] + [c.raw for m in request.messages for c in m.tool_calls]
    tools = request.options.tools
    if tools is not None:
        texts += [json.dumps([t.name, t.description, dict(t.parameters)]) for t in tools.tools]
    if request.prompt is not None:
        texts.append(request.prompt)
    return sum(count(text) for text in texts if text) + TURN_TOKENS * len(request.messages)


def messages_request(body: Any) -> wire.ParsedRequest:
    """A `POST /v1/messages` body."""
    return _read(body, counting=False)


def count_request(body: Any) -> wire.ParsedRequest:
    """A `POST /v1/messages/count_tokens` body: the same fields, without max_tokens or stream."""
    return _read(body, counting=True)


__all__ = ["count_request", "estimate", "messages", "messages_request", "options"]
