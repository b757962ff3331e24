"""Ollama's native API: POST /api/chat and /api/generate with NDJSON streaming; /api/tags, /api/show.

The context size is always sent (`options.num_ctx`), and prompts that cannot fit are refused
before sending: Ollama itself truncates over-long prompts silently.
"""

from __future__ import annotations

import logging
from typing import Any

from chi_llm.adapters.providers import ollama_tools
from chi_llm.adapters.providers.http.base import Event, HttpTextGenerator
from chi_llm.adapters.providers.http.framing import Frame
from chi_llm.adapters.providers.http.profile import transport
from chi_llm.adapters.providers.http.transport import HttpTransport
from chi_llm.adapters.providers.provider_type import BuildContext, ProviderType
from chi_llm.domain.errors import ContextLengthExceeded, InvalidRequest, ModelNotFound
from chi_llm.domain.generation import DEFAULT_CONTEXT, FinishReason, GenerationRequest
from chi_llm.domain.providers import HTTP_FIELDS, ProviderField, ProviderProfile, ProviderSchema
from chi_llm.domain.structured import OutputSchema

log = logging.getLogger("chi_llm")
SCHEMA = ProviderSchema(
    type="ollama",
    summary="Ollama's native API",
    fields=(
        ProviderField(name="base_url", type="url", default="http://127.0.0.1:11434", help="Ollama server root"),
        ProviderField(name="model", type="string", help="model name as the server knows it"),
        *HTTP_FIELDS,
    ),
)


def to_payload(request: GenerationRequest, *, stream: bool, num_ctx: int) -> dict[str, Any]:
    o = request.options
    options: dict[str, Any] = {"num_ctx": num_ctx}
    for key, value in (
        ("temperature", o.temperature),
        ("top_p", o.top_p),
        ("num_predict", o.max_tokens),
        ("seed", o.seed),
    ):
        if value is not None:
            options[key] = value
    if o.stop:
        options["stop"] = list(o.stop)
    payload: dict[str, Any] = {"model": request.model, "stream": stream, "options": options}
    if request.prompt is not None:
        if o.tools is not None:
            raise InvalidRequest("tools need a chat request (messages), not a raw prompt")
        payload.update(prompt=request.prompt, raw=True)
    else:
        payload["messages"] = ollama_tools.messages(request.messages)
    if o.schema is not None:
        payload["format"] = o.schema.value  # Ollama constrains decoding to the schema itself
    elif o.json:
        payload["format"] = "json"
    if o.tools is not None:
        payload.update(ollama_tools.tool_fields(o.tools))
    return payload


def parse_line(data: Any) -> Event | None:
    if not isinstance(data, dict):
        return None
    if "error" in data:
        return Event(error=str(data["error"]))
    message = data.get("message") or {}
    text = message.get("content") if "message" in data else data.get("response")
    calls = ollama_tools.deltas(message.get("tool_calls"))
    if not data.get("done"):
        return Event(text=text or "", tool_calls=calls, whole_calls=True)
    reason: FinishReason = "length" if data.get("done_reason") == "length" else "stop"
    return Event(
        text=text or "",
        finish=reason,
        prompt_tokens=data.get("prompt_eval_count"),
        completion_tokens=data.get("eval_count"),
        tool_calls=calls,
        whole_calls=True,
    )


class OllamaGenerator(HttpTextGenerator):
    name = "ollama"
    framing = "ndjson"

    def calls_tools(self) -> bool:
        return True  # `tools` on /api/chat; a model without tool support is refused by Ollama, mapped clearly

    def enforces(self, schema: OutputSchema) -> bool:
        return True  # `format` with a schema constrains Ollama's decoding

    def __init__(self, transport: HttpTransport, *, model: str | None, context: int | None = None) -> None:
        # Ollama's own default window is small and it truncates silently: always know the window.
        super().__init__(transport, model=model, context=context or DEFAULT_CONTEXT)

    def num_ctx(self) -> int:
        return self.context or DEFAULT_CONTEXT

    def prepare(self, request: GenerationRequest) -> GenerationRequest:
        request = super().prepare(request)
        estimate = self._prompt_estimate(request)
        if estimate >= self.num_ctx() and not request.options.truncate:
            raise ContextLengthExceeded(prompt_tokens=estimate, context=self.num_ctx(), backend=self.name)
        return request

    def request_path(self, request: GenerationRequest, *, stream: bool) -> str:
        return "/api/generate" if request.prompt is not None else "/api/chat"

    def to_payload(self, request: GenerationRequest, *, stream: bool) -> dict[str, Any]:
        return to_payload(request, stream=stream, num_ctx=self.num_ctx())

    def parse_response(self, body: Any) -> Event:
        event = parse_line(body)
        return event or Event(finish="stop")

    def parse_event(self, frame: Frame) -> Event | None:
        event = parse_line(frame.data)
        if event and isinstance(event.prompt_tokens, int) and event.prompt_tokens >= self.num_ctx() - 1:
            log.warning(
                "ollama evaluated %s prompt tokens with num_ctx=%s: the prompt may have been truncated",
                event.prompt_tokens,
                self.num_ctx(),
            )
        return event

    def list_models(self) -> list[dict[str, Any]]:
        """Installed models (/api/tags), each with its trained context from /api/show."""
        body = self.transport.request_json("GET", "/api/tags")
        models = [
            {"id": m.get("name"), "size": m.get("size"), **(m.get("details") or {})}
            for m in body.get("models", [])
            if m.get("name")
        ]
        for model in models:
            try:
                model["context_length"] = self.show(str(model["id"])).get("context_length")
            except ModelNotFound:  # removed between the two calls
                model["context_length"] = None
        return models

    def show(self, model: str) -> dict[str, Any]:
        body = self.transport.request_json("POST", "/api/show", json={"model": model})
        info = body.get("model_info") or {}
        arch = info.get("general.architecture")
        return {"id": model, "context_length": info.get(f"{arch}.context_length"), **(body.get("details") or {})}


def build(profile: ProviderProfile, ctx: BuildContext) -> OllamaGenerator:
    client, _ = transport(profile, SCHEMA, ctx)
    return OllamaGenerator(client, model=ctx.model, context=client.context)


PROVIDER = ProviderType(schema=SCHEMA, build=build)
