"""OpenAI request bodies read into domain values: pure functions, testable without a socket.

Fields chi_llm cannot honour are refused with a 400 that says so (n > 1, logprobs, images,
OpenAI's retired `functions`); tools are read by `wire_tools`; fields that only tune sampling
and have no counterpart here (frequency and presence penalties, logit_bias, user, metadata) are
accepted and ignored, as llama.cpp's and Ollama's servers do."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, cast

from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.generation import GenerationOptions
from chi_llm.domain.messages import Message, Role
from chi_llm.domain.structured import OutputSchema
from chi_llm.entrypoints.server import wire_tools
from chi_llm.entrypoints.server.errors import bad_request

ROLE_ALIASES = {"developer": "system"}  # OpenAI's newer name for the system role
MAX_STOPS = 4
# What an image (or file) earlier in a conversation becomes: the models here read text only, and
# refusing it would make every later turn of that conversation (which sends it again) fail.
# In the turn being answered it is refused, so nobody is answered about an image never seen.
MEDIA_OMITTED = "[an attachment was here; this server's models read text only]"


@dataclass(frozen=True, slots=True)
class ParsedRequest:
    """A chat or completion request: what to generate from, options, and how to answer."""

    model: str | None
    options: GenerationOptions
    stream: bool = False
    include_usage: bool = False
    messages: tuple[Message, ...] = ()
    prompt: str | None = None


def json_object(body: Any) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise bad_request("the request body must be a JSON object")
    return body


def model_name(body: Mapping[str, Any]) -> str | None:
    model = body.get("model")
    if model is not None and not isinstance(model, str):
        raise bad_request("model must be a string", param="model")
    return model or None


def flag(body: Mapping[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise bad_request(f"{name} must be true or false", param=name)
    return value


def _refuse_unsupported(body: Mapping[str, Any]) -> None:
    n = body.get("n")
    if n not in (None, 1):
        raise bad_request("n must be 1: this server returns one choice per request", param="n")
    if body.get("logprobs") not in (None, False) or body.get("top_logprobs") not in (None, 0):
        raise bad_request("logprobs are not supported by chi-llm serve", param="logprobs")


def _stops(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    stops = [value] if isinstance(value, str) else value
    if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops):
        raise bad_request("stop must be a string or a list of strings", param="stop")
    if len(stops) > MAX_STOPS:
        raise bad_request(f"stop takes at most {MAX_STOPS} sequences", param="stop")
    return tuple(s for s in stops if s)


def number(body: Mapping[str, Any], name: str) -> Any:
    value = body.get(name)
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise bad_request(f"{name} must be a number", param=name)
    if isinstance(value, float) and not math.isfinite(value):
        raise bad_request(f"{name} must be a finite number", param=name)
    return value


def whole_number(body: Mapping[str, Any], *names: str) -> int | None:
    for name in names:
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_request(f"{name} must be a whole number", param=name)
        return value
    return None


def response_format(value: Any) -> dict[str, Any]:
    """GenerationOptions fields for `response_format`: json_object asks for JSON, json_schema
    binds the answer to the schema through the structured-output machinery."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not isinstance(value.get("type"), str):
        raise bad_request("response_format must be an object with a type", param="response_format")
    kind = value["type"]
    if kind == "text":
        return {}
    if kind == "json_object":
        return {"json": True}
    if kind == "json_schema":
        spec = value.get("json_schema")
        if not isinstance(spec, Mapping) or not isinstance(spec.get("schema", {}), Mapping):
            raise bad_request("response_format.json_schema must hold a schema object", param="response_format")
        name = str(spec.get("name") or "output")
        return {"json": True, "schema": OutputSchema.of(spec.get("schema") or {"type": "object"}, name)}
    raise bad_request(f"response_format type must be text, json_object or json_schema, got {kind!r}")


def options(body: Mapping[str, Any]) -> GenerationOptions:
    """Sampling and limits (the server's max_tokens cap is applied to the finished request)."""
    max_tokens = whole_number(body, "max_completion_tokens", "max_tokens")
    if max_tokens is not None and max_tokens < 1:
        raise bad_request("max_tokens must be at least 1", param="max_tokens")
    try:
        return GenerationOptions(
            temperature=number(body, "temperature"),
            top_p=number(body, "top_p"),
            max_tokens=max_tokens,
            stop=_stops(body.get("stop")),
            seed=whole_number(body, "seed"),
            **response_format(body.get("response_format")),
        )
    except InvalidRequest as error:
        raise bad_request(error.message) from None


def _content(raw: Any, index: int) -> str:
    """Message content: a string, or a list of text parts (joined). Images are refused."""
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, list):
        texts: list[str] = []
        for part in raw:
            if not isinstance(part, Mapping) or part.get("type") != "text" or not isinstance(part.get("text"), str):
                kind = part.get("type") if isinstance(part, Mapping) else type(part).__name__
                raise bad_request(
                    f"messages[{index}].content: only text parts are supported, got {kind!r}", param="messages"
                )
            texts.append(part["text"])
        return "".join(texts)
    raise bad_request(f"messages[{index}].content must be a string or a list of text parts", param="messages")


def messages(raw: Any) -> tuple[Message, ...]:
    """The history: text turns, an assistant's tool calls and the tools' results (each answering
    a call made before it)."""
    if not isinstance(raw, list) or not raw:
        raise bad_request("messages must be a non-empty list", param="messages")
    out: list[Message] = []
    asked: dict[str, str] = {}  # call id -> tool name, of the calls made so far
    for index, message in enumerate(raw):
        if not isinstance(message, Mapping):
            raise bad_request(f"messages[{index}] must be an object", param="messages")
        role = message.get("role")
        role = ROLE_ALIASES.get(role, role) if isinstance(role, str) else role
        if role not in ("system", "user", "assistant", "tool"):
            raise bad_request(
                f"messages[{index}].role must be system, developer, user, assistant or tool, got {role!r}",
                param="messages",
            )
        turn: dict[str, Any] = {}
        if role == "assistant":
            turn["tool_calls"] = wire_tools.calls(message.get("tool_calls"), index)
            asked.update((call.id, call.name) for call in turn["tool_calls"])
        elif role == "tool":
            turn["tool_call_id"], turn["name"] = wire_tools.answered(message, index, asked)
        try:
            out.append(Message(role=cast(Role, role), content=_content(message.get("content"), index), **turn))
        except InvalidRequest as error:
            raise bad_request(error.message, param="messages") from None
    return tuple(out)


def _stream_usage(body: Mapping[str, Any]) -> bool:
    settings = body.get("stream_options")
    if settings is None:
        return False
    if not isinstance(settings, Mapping):
        raise bad_request("stream_options must be an object", param="stream_options")
    return bool(settings.get("include_usage"))


def chat_request(body: Any) -> ParsedRequest:
    """A `/v1/chat/completions` body."""
    body = json_object(body)
    _refuse_unsupported(body)
    tools = wire_tools.tool_set(body)
    return ParsedRequest(
        model=model_name(body),
        options=replace(options(body), tools=tools) if tools else options(body),
        stream=flag(body, "stream"),
        include_usage=_stream_usage(body),
        messages=messages(body.get("messages")),
    )


def _prompt(raw: Any) -> str:
    if isinstance(raw, list) and len(raw) == 1 and isinstance(raw[0], str):
        raw = raw[0]
    if not isinstance(raw, str):
        raise bad_request("prompt must be a string (or a list of one string; token arrays are not supported)")
    if not raw:
        raise bad_request("prompt must not be empty: give the text to continue", param="prompt")
    return raw


def completion_request(body: Any) -> ParsedRequest:
    """A `/v1/completions` body: the prompt is continued as raw text, with no chat template."""
    body = json_object(body)
    _refuse_unsupported(body)
    if body.get("suffix"):
        raise bad_request("suffix (fill-in-the-middle) is not supported", param="suffix")
    if flag(body, "echo"):
        raise bad_request("echo is not supported", param="echo")
    if body.get("best_of") not in (None, 1):
        raise bad_request("best_of must be 1", param="best_of")
    if "response_format" in body:
        raise bad_request("response_format belongs to /v1/chat/completions", param="response_format")
    for name in ("tools", "functions"):
        if body.get(name):
            raise bad_request("tools belong to /v1/chat/completions; a raw completion calls none", param=name)
    return ParsedRequest(
        model=model_name(body),
        options=options(body),
        stream=flag(body, "stream"),
        include_usage=_stream_usage(body),
        prompt=_prompt(body.get("prompt")),
    )


def embedding_inputs(body: Any) -> tuple[str | None, list[str], str]:
    """(model, texts, encoding_format) of a `/v1/embeddings` body."""
    body = json_object(body)
    raw = body.get("input")
    texts = [raw] if isinstance(raw, str) else raw
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise bad_request("input must be a string or a non-empty list of strings (token arrays are not supported)")
    if any(not t for t in texts):
        raise bad_request("input must not contain empty strings", param="input")
    encoding = body.get("encoding_format") or "float"
    if encoding not in ("float", "base64"):
        raise bad_request("encoding_format must be float or base64", param="encoding_format")
    return model_name(body), texts, encoding


__all__ = ["ParsedRequest", "chat_request", "completion_request", "embedding_inputs"]
