"""OpenAI-compatible Chat Completions (OpenAI, Groq, OpenRouter, Together, vLLM, llama.cpp server...).

Wire format: POST {base_url}/chat/completions (raw prompts: /completions), bearer auth, SSE
streaming with `data: [DONE]`, usage requested in the stream (`stream_options.include_usage`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from chi_llm.adapters.providers import openai_tools
from chi_llm.adapters.providers.http.base import Event, HttpTextGenerator
from chi_llm.adapters.providers.http.framing import Frame
from chi_llm.adapters.providers.http.profile import api_key, transport
from chi_llm.adapters.providers.provider_type import BuildContext, ProviderType
from chi_llm.domain.errors import ChiLlmError, InvalidRequest, MissingCredentials
from chi_llm.domain.generation import (
    Chunk,
    Completion,
    FinishReason,
    GenerationRequest,
    aresumed,
    resumed,
)
from chi_llm.domain.providers import HTTP_FIELDS, ProviderField, ProviderProfile, ProviderSchema
from chi_llm.domain.structured import OutputSchema
from chi_llm.domain.tools import ToolCallDelta

OPENAI_API = "https://api.openai.com/v1"
SCHEMA = ProviderSchema(
    type="openai",
    summary="OpenAI and OpenAI-compatible servers (Groq, OpenRouter, vLLM, llama.cpp server, ...)",
    fields=(
        ProviderField(
            name="base_url",
            type="url",
            default=OPENAI_API,
            help="API root including /v1 (OpenAI, Groq, OpenRouter, vLLM, llama.cpp server...)",
        ),
        ProviderField(name="api_key", type="secret", help="API key (or OPENAI_API_KEY / CHI_LLM_OPENAI_API_KEY)"),
        ProviderField(name="model", type="string", help="model name as the server knows it"),
        *HTTP_FIELDS,
    ),
    key_variables=("CHI_LLM_OPENAI_API_KEY", "OPENAI_API_KEY"),
)

FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "eos": "stop",
    "content_filter": "stop",
    "tool_calls": "tool_calls",
    "function_call": "stop",
}


# How a JSON Schema is sent, best first. Servers differ: OpenAI, vLLM, LM Studio and llama.cpp's
# server take `json_schema`; llama-cpp-python's server only `json_object` with a `schema` (which it
# compiles to a grammar); some only plain `json_object`. A server that refuses one gets the next.
SCHEMA_MODES = ("json_schema", "json_object_schema", "json_object")


def response_format(schema: OutputSchema, mode: str) -> dict[str, Any]:
    if mode == "json_schema":
        spec = {"name": schema.name, "schema": schema.value, "strict": schema.strict_ready}
        return {"type": "json_schema", "json_schema": spec}
    if mode == "json_object_schema":
        return {"type": "json_object", "schema": schema.value}
    return {"type": "json_object"}


def to_payload(request: GenerationRequest, *, stream: bool, schema_mode: str = SCHEMA_MODES[0]) -> dict[str, Any]:
    """The JSON body for a request (pure: no I/O)."""
    options = request.options
    payload: dict[str, Any] = {"model": request.model, "stream": stream}
    if request.prompt is not None:
        if options.tools is not None:
            raise InvalidRequest("tools need a chat request (messages), not a raw prompt")
        payload["prompt"] = request.prompt
    else:
        payload["messages"] = [openai_tools.message(m) for m in request.messages]
    for key, value in (
        ("temperature", options.temperature),
        ("top_p", options.top_p),
        ("max_tokens", options.max_tokens),
        ("seed", options.seed),
    ):
        if value is not None:
            payload[key] = value
    if options.stop:
        payload["stop"] = list(options.stop)
    if options.schema is not None:
        payload["response_format"] = response_format(options.schema, schema_mode)
    elif options.json and request.prompt is None:
        payload["response_format"] = {"type": "json_object"}
    if options.tools is not None:
        payload.update(openai_tools.tool_fields(options.tools))
    if stream:
        payload["stream_options"] = {"include_usage": True}
    return payload


def _usage(body: dict[str, Any]) -> tuple[int | None, int | None]:
    usage = body.get("usage") or {}
    return usage.get("prompt_tokens"), usage.get("completion_tokens")


def parse_response(body: Any) -> Event:
    choices = body["choices"]
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ValueError("no choices in the answer")
    choice = choices[0]
    calls: tuple[ToolCallDelta, ...] = ()
    if "message" in choice:  # chat completions
        text = choice["message"].get("content") if choice["message"] is not None else None
        calls = openai_tools.deltas((choice["message"] or {}).get("tool_calls"), whole=True)
    elif "text" in choice:  # text completions
        text = choice["text"]
    else:  # e.g. a stream's `delta` in a whole answer: no generation this client can read
        raise ValueError("the choice has neither a message nor a text")
    if text is not None and not isinstance(text, str):
        raise ValueError("the answer's text is not a string")
    prompt, completion = _usage(body)
    return Event(
        text=text or "",
        finish=FINISH.get(choice.get("finish_reason") or "stop", "stop"),
        prompt_tokens=prompt,
        completion_tokens=completion,
        tool_calls=calls,
    )


def parse_chunk(data: Any) -> Event | None:
    """One streamed `chat.completion.chunk` (or `text_completion`) object."""
    if not isinstance(data, dict):
        return None
    if "error" in data:
        error = data["error"]
        return Event(error=str(error.get("message") if isinstance(error, dict) else error))
    prompt, completion = _usage(data)
    choices = data.get("choices") or []
    if not choices:
        return Event(prompt_tokens=prompt, completion_tokens=completion)
    choice = choices[0]
    delta = choice.get("delta")
    text = (delta or {}).get("content") if delta is not None else choice.get("text")
    reason = choice.get("finish_reason")
    return Event(
        text=text or "",
        finish=FINISH.get(reason, "stop") if reason else None,
        prompt_tokens=prompt,
        completion_tokens=completion,
        tool_calls=openai_tools.deltas((delta or {}).get("tool_calls"), whole=False),
    )


class OpenAICompatibleGenerator(HttpTextGenerator):
    name = "openai"
    framing = "sse"

    schema_mode = SCHEMA_MODES[0]  # lowered, once per server, when it refuses a response_format

    def calls_tools(self) -> bool:
        return True  # `tools` on the wire; a model or server that cannot refuses them, mapped clearly

    def enforces(self, schema: OutputSchema) -> bool:
        if self.schema_mode == "json_schema":
            return schema.strict_ready  # strict json_schema is enforced; otherwise only requested
        return self.schema_mode == "json_object_schema"  # llama-cpp-python: a grammar from the schema

    def request_path(self, request: GenerationRequest, *, stream: bool) -> str:
        return "/completions" if request.prompt is not None else "/chat/completions"

    def to_payload(self, request: GenerationRequest, *, stream: bool) -> dict[str, Any]:
        return to_payload(request, stream=stream, schema_mode=self.schema_mode)

    def _lower(self, request: GenerationRequest, error: ChiLlmError) -> bool:
        """A schema request refused for its response_format: use the next way of sending it."""
        if request.options.schema is None or "response_format" not in error.message:
            return False
        at = SCHEMA_MODES.index(self.schema_mode)
        if at + 1 >= len(SCHEMA_MODES):
            return False
        self.schema_mode = SCHEMA_MODES[at + 1]
        return True

    def generate(self, request: GenerationRequest) -> Completion:
        while True:
            try:
                return super().generate(request)
            except ChiLlmError as error:
                if not self._lower(request, error):
                    raise

    def stream(self, request: GenerationRequest) -> Iterator[Chunk]:
        while True:
            chunks = super().stream(request)
            try:
                first = next(chunks)  # a refusal comes before the first chunk
            except StopIteration:
                return iter(())
            except ChiLlmError as error:
                if not self._lower(request, error):
                    raise
                continue
            return resumed(first, chunks)

    def astream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        return self._lowering_astream(request)

    async def _lowering_astream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        while True:
            chunks = super().astream(request)
            try:
                first = await anext(chunks)
            except StopAsyncIteration:
                return
            except ChiLlmError as error:
                if not self._lower(request, error):
                    raise
                continue
            async for chunk in aresumed(first, chunks):
                yield chunk
            return

    def parse_response(self, body: Any) -> Event:
        return parse_response(body)

    def parse_event(self, frame: Frame) -> Event | None:
        return parse_chunk(frame.data)

    def list_models(self) -> list[dict[str, Any]]:
        body = self.transport.request_json("GET", "/models")
        return [{"id": m.get("id"), "owned_by": m.get("owned_by")} for m in body.get("data", []) if m.get("id")]


def build(profile: ProviderProfile, ctx: BuildContext) -> OpenAICompatibleGenerator:
    """Bearer auth when a key is known; OpenAI's own API refuses to start without one (other
    OpenAI-compatible servers often need none)."""
    key = api_key(profile, SCHEMA, ctx.env)
    client, settings = transport(profile, SCHEMA, ctx, {"Authorization": f"Bearer {key}"} if key else {})
    if not key and str(settings["base_url"]).rstrip("/") == OPENAI_API:
        raise MissingCredentials(
            f"the OpenAI API needs a key: set OPENAI_API_KEY (or api_key in the provider profile {profile.id!r})",
            backend="openai",
        )
    return OpenAICompatibleGenerator(client, model=ctx.model, context=client.context)


PROVIDER = ProviderType(schema=SCHEMA, build=build)
