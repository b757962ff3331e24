"""Google Gemini REST: models/{model}:generateContent and :streamGenerateContent?alt=sse.

Gemini has no raw continuation endpoint; `complete` asks the model to continue the text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any
from urllib.parse import quote

from chi_llm.adapters.providers.gemini_tools import contents, earlier_calls, part_calls, tools_payload
from chi_llm.adapters.providers.http.base import Event, HttpTextGenerator, has_tool_turns
from chi_llm.adapters.providers.http.framing import Frame
from chi_llm.adapters.providers.http.profile import required_key, transport
from chi_llm.adapters.providers.provider_type import BuildContext, ProviderType
from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.generation import FinishReason, GenerationRequest
from chi_llm.domain.providers import HTTP_FIELDS, ProviderField, ProviderProfile, ProviderSchema
from chi_llm.domain.structured import OutputSchema

SCHEMA = ProviderSchema(
    type="gemini",
    summary="Google's Gemini API",
    fields=(
        ProviderField(
            name="base_url", type="url", default="https://generativelanguage.googleapis.com", help="API root"
        ),
        ProviderField(name="api_key", type="secret", help="API key (or GEMINI_API_KEY / GOOGLE_API_KEY)"),
        ProviderField(name="model", type="string", required=True, help="model name, e.g. gemini-2.5-flash"),
        *HTTP_FIELDS,
    ),
    key_variables=("CHI_LLM_GEMINI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"),
)

CONTINUE = "Continue the following text exactly where it stops. Reply with the continuation only.\n\n"


def _finish(reason: str | None) -> FinishReason | None:
    if not reason or reason == "FINISH_REASON_UNSPECIFIED":
        return None
    return "length" if reason == "MAX_TOKENS" else "stop"


def _turns(request: GenerationRequest) -> dict[str, Any]:
    """`contents` (and `systemInstruction`): the text to continue, or the conversation."""
    if request.prompt is not None:
        return {"contents": [{"role": "user", "parts": [{"text": CONTINUE + request.prompt}]}]}
    payload: dict[str, Any] = {}
    system = "\n\n".join(m.content for m in request.messages if m.role == "system")
    if system:
        payload["systemInstruction"] = {"parts": [{"text": system}]}
    if has_tool_turns(request.messages):
        payload["contents"] = contents(request.messages)
    else:
        payload["contents"] = [
            {"role": "model" if m.role == "assistant" else "user", "parts": [{"text": m.content}]}
            for m in request.messages
            if m.role != "system"
        ]
    return payload


def to_payload(request: GenerationRequest) -> dict[str, Any]:
    o = request.options
    payload = _turns(request)
    if o.tools is not None:
        if o.json or o.schema is not None:
            raise InvalidRequest(
                "gemini does not answer in JSON mode while it may call tools: ask for the tools first, "
                "then for the JSON answer"
            )
        payload.update(tools_payload(o.tools, gemini_schema))
    config: dict[str, Any] = {}
    for key, value in (
        ("temperature", o.temperature),
        ("topP", o.top_p),
        ("maxOutputTokens", o.max_tokens),
        ("seed", o.seed),
    ):
        if value is not None:
            config[key] = value
    if o.stop:
        config["stopSequences"] = list(o.stop)
    if o.json or o.schema is not None:
        config["responseMimeType"] = "application/json"
    if o.schema is not None:
        config["responseSchema"] = gemini_schema(o.schema.value)
    if config:
        payload["generationConfig"] = config
    return payload


# The part of JSON Schema Gemini's responseSchema (an OpenAPI subset) understands.
GEMINI_KEYS = frozenset(
    {
        "type",
        "format",
        "description",
        "nullable",
        "enum",
        "properties",
        "required",
        "items",
        "minItems",
        "maxItems",
        "minimum",
        "maximum",
        "propertyOrdering",
        "anyOf",
        "title",
    }
)


def gemini_schema(node: Any) -> Any:
    """`node` with what Gemini rejects left out (additionalProperties, $schema, patterns...)."""
    if isinstance(node, list):
        return [gemini_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: gemini_schema(v) for name, v in value.items()}
        elif key in GEMINI_KEYS:
            out[key] = gemini_schema(value)
    return out


def parse_response(body: Any, *, first: int | None = None, earlier: int = 0) -> Event:
    """A whole answer or one stream frame. `first`: the request offered tools, so functionCall
    parts are calls, numbered from `first` (the calls earlier frames made); `earlier`: the calls
    earlier turns of the conversation made (made ids count on from them)."""
    if not isinstance(body, dict):
        return Event()
    if "error" in body:
        return Event(error=str((body["error"] or {}).get("message")))
    candidate = (body.get("candidates") or [{}])[0]
    parts = (candidate.get("content") or {}).get("parts", [])
    text = "".join(p.get("text", "") for p in parts if not p.get("thought"))
    usage = body.get("usageMetadata") or {}
    event = Event(
        text=text,
        finish=_finish(candidate.get("finishReason")),
        prompt_tokens=usage.get("promptTokenCount"),
        completion_tokens=usage.get("candidatesTokenCount"),
    )
    if first is None:
        return event
    if candidate.get("finishReason") == "MALFORMED_FUNCTION_CALL":
        return Event(error=f"gemini wrote a malformed function call ({candidate.get('finishMessage') or 'no detail'})")
    calls = part_calls(parts, first, earlier)
    finish = "tool_calls" if calls and event.finish == "stop" else event.finish
    return replace(event, tool_calls=calls, finish=finish)


class CallCounter:
    """One stream's frames, with its calls numbered across frames; a stream that made calls
    finishes with `tool_calls`."""

    def __init__(self, earlier: int = 0) -> None:
        self.calls = 0
        self.earlier = earlier

    def read(self, frame: Frame) -> Event:
        event = parse_response(frame.data, first=self.calls, earlier=self.earlier)
        self.calls += len(event.tool_calls)
        if self.calls and event.finish == "stop":
            return replace(event, finish="tool_calls")
        return event


class GeminiGenerator(HttpTextGenerator):
    name = "gemini"
    framing = "sse"

    def enforces(self, schema: OutputSchema) -> bool:
        kept: bool = gemini_schema(schema.value) == schema.value  # all of it within Gemini's subset
        return kept

    def calls_tools(self) -> bool:
        return True

    def request_path(self, request: GenerationRequest, *, stream: bool) -> str:
        model = quote(str(request.model).removeprefix("models/"), safe="-._")
        return (
            f"/v1beta/models/{model}:streamGenerateContent?alt=sse"
            if stream
            else f"/v1beta/models/{model}:generateContent"
        )

    def to_payload(self, request: GenerationRequest, *, stream: bool) -> dict[str, Any]:
        return to_payload(request)

    def parse_response(self, body: Any) -> Event:
        return parse_response(body)

    def parse_event(self, frame: Frame) -> Event | None:
        return parse_response(frame.data)

    def stream_reader(self, request: GenerationRequest) -> Callable[[Frame], Event | None]:
        if request.options.tools is None:
            return self.parse_event
        return CallCounter(earlier_calls(request.messages)).read

    def response_reader(self, request: GenerationRequest) -> Callable[[Any], Event]:
        if request.options.tools is None:
            return self.parse_response
        return partial(parse_response, first=0, earlier=earlier_calls(request.messages))

    def list_models(self) -> list[dict[str, Any]]:
        body = self.transport.request_json("GET", "/v1beta/models")
        return [
            {
                "id": str(m.get("name", "")).removeprefix("models/"),
                "name": m.get("displayName"),
                "context_length": m.get("inputTokenLimit"),
            }
            for m in body.get("models", [])
            if "generateContent" in (m.get("supportedGenerationMethods") or [])
        ]


def build(profile: ProviderProfile, ctx: BuildContext) -> GeminiGenerator:
    client, _ = transport(profile, SCHEMA, ctx, {"x-goog-api-key": required_key(profile, SCHEMA, ctx.env)})
    return GeminiGenerator(client, model=ctx.model, context=client.context)


PROVIDER = ProviderType(schema=SCHEMA, build=build)
