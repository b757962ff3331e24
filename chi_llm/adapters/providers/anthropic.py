"""Anthropic Messages API: POST /v1/messages, SSE event stream, `system` field, required max_tokens.

Raw continuation (`complete`) uses the documented assistant prefill: the text is sent as the
start of the assistant's turn and the model continues it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

from chi_llm.adapters.providers.anthropic_tools import CallReader, answer_calls, declare_used, tools_payload, turns
from chi_llm.adapters.providers.http.base import Event, HttpTextGenerator, has_tool_turns
from chi_llm.adapters.providers.http.framing import Frame
from chi_llm.adapters.providers.http.profile import required_key, transport
from chi_llm.adapters.providers.provider_type import BuildContext, ProviderType, with_defaults
from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.generation import FinishReason, GenerationRequest
from chi_llm.domain.providers import HTTP_FIELDS, ProviderField, ProviderProfile, ProviderSchema
from chi_llm.domain.structured import OutputSchema

SCHEMA = ProviderSchema(
    type="anthropic",
    summary="Anthropic's Messages API",
    fields=(
        ProviderField(name="base_url", type="url", default="https://api.anthropic.com", help="API root"),
        ProviderField(name="api_key", type="secret", help="API key (or ANTHROPIC_API_KEY / CHI_LLM_ANTHROPIC_API_KEY)"),
        ProviderField(name="model", type="string", required=True, help="model name, e.g. claude-sonnet-4-5"),
        ProviderField(name="version", type="string", default="2023-06-01", help="anthropic-version header"),
        *HTTP_FIELDS,
    ),
    key_variables=("CHI_LLM_ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY"),
)

DEFAULT_MAX_TOKENS = 1024
STOP: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "stop",
    "pause_turn": "stop",
    "refusal": "stop",
}
CALLS_STOP: dict[str, FinishReason] = {**STOP, "tool_use": "tool_calls"}  # with tools: the calls are the answer


def to_payload(request: GenerationRequest, *, stream: bool) -> dict[str, Any]:
    o = request.options
    payload: dict[str, Any] = {
        "model": request.model,
        "max_tokens": o.max_tokens or DEFAULT_MAX_TOKENS,
        "stream": stream,
    }
    if request.prompt is not None:
        payload["messages"] = [
            {"role": "user", "content": "Continue this text."},
            {"role": "assistant", "content": request.prompt.rstrip()},
        ]
    else:
        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        if system:
            payload["system"] = system
        if has_tool_turns(request.messages):
            payload["messages"] = turns(request.messages)
        else:
            payload["messages"] = [
                {"role": m.role, "content": m.content} for m in request.messages if m.role != "system"
            ]
    for key, value in (("temperature", o.temperature), ("top_p", o.top_p)):
        if value is not None:
            payload[key] = min(value, 1.0) if key == "temperature" else value  # Anthropic accepts 0..1
    if o.stop:
        payload["stop_sequences"] = list(o.stop)
    _tool_fields(payload, request)
    return payload


def _tool_fields(payload: dict[str, Any], request: GenerationRequest) -> None:
    """`tools`/`tool_choice`: a schema's forced tool, the tools offered, and the tools the
    history used (which Anthropic wants defined)."""
    o = request.options
    if o.schema is not None:  # a forced tool call whose input is the schema: Anthropic's structured output
        tool = {"name": o.schema.name, "description": "Reply with this structure.", "input_schema": o.schema.value}
        payload["tools"] = [tool]
        payload["tool_choice"] = {"type": "tool", "name": o.schema.name}
    if o.tools is not None:
        if o.schema is not None:
            raise InvalidRequest(
                "anthropic answers a schema through a forced tool, so a request cannot have both a schema and "
                "tools: ask for the tools first, then for the structured answer"
            )
        payload.update(tools_payload(o.tools))
    if request.messages and has_tool_turns(request.messages):
        declare_used(payload, request.messages)


def parse_response(body: Any, *, calls: bool = False) -> Event:
    """A whole answer. `calls`: the request offered tools, so tool_use blocks are calls (without,
    the only tool is a schema's forced one, whose input is the answer's text)."""
    blocks = body.get("content", [])
    text = "".join(block.get("text", "") for block in blocks if block.get("type") == "text")
    if not calls:
        uses = (b for b in blocks if b.get("type") == "tool_use")
        text += "".join(json.dumps(b.get("input", {}), ensure_ascii=False) for b in uses)
    usage = body.get("usage") or {}
    return Event(
        text=text,
        tool_calls=answer_calls(blocks) if calls else (),
        finish=(CALLS_STOP if calls else STOP).get(body.get("stop_reason") or "end_turn", "stop"),
        prompt_tokens=usage.get("input_tokens"),
        completion_tokens=usage.get("output_tokens"),
    )


def parse_event(name: str | None, data: Any, *, calls: bool = False) -> Event | None:
    """One stream event. `calls`: as in `parse_response` (tool_use blocks are read by a CallReader)."""
    kind = (data or {}).get("type", name) if isinstance(data, dict) else name
    if kind == "content_block_delta":
        delta = data.get("delta") or {}
        if delta.get("type") == "input_json_delta":  # a forced tool's input, streamed as JSON text
            return Event(text=delta.get("partial_json", ""))
        return Event(text=delta.get("text", "")) if delta.get("type") == "text_delta" else None
    if kind == "message_start":
        usage = (data.get("message") or {}).get("usage") or {}
        return Event(prompt_tokens=usage.get("input_tokens"))
    if kind == "message_delta":
        reason = (data.get("delta") or {}).get("stop_reason")
        return Event(
            finish=(CALLS_STOP if calls else STOP).get(reason, "stop") if reason else None,
            completion_tokens=(data.get("usage") or {}).get("output_tokens"),
        )
    if kind == "error":
        error = data.get("error") or {}
        return Event(error=f"{error.get('type')}: {error.get('message')}")
    return None  # ping, content_block_start/stop, message_stop


class AnthropicGenerator(HttpTextGenerator):
    name = "anthropic"
    framing = "sse"

    def enforces(self, schema: OutputSchema) -> bool:
        return True  # a forced tool call: the input follows the schema

    def calls_tools(self) -> bool:
        return True

    def request_path(self, request: GenerationRequest, *, stream: bool) -> str:
        return "/v1/messages"

    def to_payload(self, request: GenerationRequest, *, stream: bool) -> dict[str, Any]:
        return to_payload(request, stream=stream)

    def parse_response(self, body: Any) -> Event:
        return parse_response(body)

    def parse_event(self, frame: Frame) -> Event | None:
        return parse_event(frame.event, frame.data)

    def stream_reader(self, request: GenerationRequest) -> Callable[[Frame], Event | None]:
        if request.options.tools is None:
            return self.parse_event
        read = CallReader().reading(partial(parse_event, calls=True))
        return lambda frame: read(frame.event, frame.data)

    def response_reader(self, request: GenerationRequest) -> Callable[[Any], Event]:
        return partial(parse_response, calls=request.options.tools is not None)

    def list_models(self) -> list[dict[str, Any]]:
        body = self.transport.request_json("GET", "/v1/models")
        return [{"id": m.get("id"), "name": m.get("display_name")} for m in body.get("data", []) if m.get("id")]


def build(profile: ProviderProfile, ctx: BuildContext) -> AnthropicGenerator:
    key = required_key(profile, SCHEMA, ctx.env)
    version = str(with_defaults(profile, SCHEMA)["version"])
    client, _ = transport(profile, SCHEMA, ctx, {"x-api-key": key, "anthropic-version": version})
    return AnthropicGenerator(client, model=ctx.model, context=client.context)


PROVIDER = ProviderType(schema=SCHEMA, build=build)
