"""The endpoints. Each reads its body (bounded), resolves the model, waits at the model's gate,
reads the first chunk before answering (so errors before the first token keep their HTTP
status and the router can still fall back), then answers whole or as server-sent events."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import anyio
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from chi_llm.domain.errors import InvalidRequest, InvalidToolCall
from chi_llm.domain.generation import Chunk, Completion, GenerationRequest, aclose_stream, aresumed, collect
from chi_llm.entrypoints.server import formats, messages_reply, responses_reply, wire, wire_messages, wire_responses
from chi_llm.entrypoints.server.backends import Backend
from chi_llm.entrypoints.server.errors import HttpError, bad_request
from chi_llm.entrypoints.server.formats import Format
from chi_llm.entrypoints.server.logs import AccessRecord
from chi_llm.entrypoints.server.replies import Json, embedding_list, model_list
from chi_llm.entrypoints.server.state import ServerState
from chi_llm.entrypoints.server.streams import ClientGone, EventStream, entered, unless_gone


def state_of(request: Request) -> ServerState:
    state: ServerState = request.app.state.chi
    return state


def record_of(request: Request) -> AccessRecord:
    """The request's access-log record (ServerMiddleware puts one on every request)."""
    record: AccessRecord = request.scope["chi_record"]
    return record


async def read_json(request: Request, limit: int) -> Any:
    """The JSON body, refused with 413 past `limit` bytes (declared or actually sent)."""
    declared = request.headers.get("content-length", "")
    too_big = HttpError(413, f"the request body is larger than this server's limit of {limit} bytes", code="too_large")
    if declared.isdigit() and int(declared) > limit:
        raise too_big
    body = bytearray()
    try:
        async for part in request.stream():
            body += part
            if len(body) > limit:
                raise too_big
    except ClientDisconnect:  # the upload was cut off: the access line says so (499)
        raise ClientGone() from None
    try:
        return json.loads(body, parse_constant=_not_json)
    except ValueError as error:
        said = f" ({error})" if isinstance(error, NotJson) else ""
        raise bad_request(f"the request body is not valid JSON{said}") from None
    except RecursionError:
        raise bad_request("the request body is nested too deeply") from None


class NotJson(ValueError):
    """A constant Python's json reads but JSON has not."""


def _not_json(constant: str) -> Any:
    """NaN and Infinity are not JSON: refused (an answer echoing one could not be written)."""
    raise NotJson(f"{constant} is not a JSON number")


def capped(request: GenerationRequest, cap: int | None) -> GenerationRequest:
    if cap is None or request.options.token_limit <= cap:
        return request
    return replace(request, options=replace(request.options, max_tokens=cap))


async def chat_completions(request: Request) -> Response:
    """OpenAI chat completions: messages (tools, response_format) in, a chat completion or its chunks out."""
    parsed = wire.chat_request(await read_json(request, state_of(request).options.max_body_bytes))
    return await answer(request, parsed, formats.openai(True, parsed.include_usage))


async def completions(request: Request) -> Response:
    """OpenAI's legacy completions: a raw prompt continued, whole or streamed."""
    parsed = wire.completion_request(await read_json(request, state_of(request).options.max_body_bytes))
    return await answer(request, parsed, formats.openai(False, parsed.include_usage))


async def responses(request: Request) -> Response:
    """OpenAI's Responses API, stateless: input items (tools, text.format) in, a response or its events out."""
    read = wire_responses.responses_request(await read_json(request, state_of(request).options.max_body_bytes))
    said = {wire_responses.IGNORED_HEADER: ",".join(read.ignored)} if read.ignored else None
    return await answer(request, read.parsed, responses_reply.shape(read.echo), said)


async def messages(request: Request) -> Response:
    """Anthropic's Messages API: system, messages and tools in, a message or its events out."""
    parsed = wire_messages.messages_request(await read_json(request, state_of(request).options.max_body_bytes))
    return await answer(request, parsed, messages_reply.messages)


async def count_tokens(request: Request) -> Response:
    """Anthropic's token count of a Messages request: by the backend's own tokenizer and chat
    template where it has them (a local model), else an estimate, said in the
    `X-Chi-Llm-Token-Count` header (exact or estimate). Routed and key-checked like a
    generation, but it takes no generation slot."""
    state = state_of(request)
    parsed = wire_messages.count_request(await read_json(request, state.options.max_body_bytes))
    backend = state.backends.get(state.route(parsed.model))
    record_of(request).model = backend.name
    counted, exact = await unless_gone(request, anyio.to_thread.run_sync(_count, backend, parsed))
    headers = {"X-Chi-Llm-Token-Count": "exact" if exact else "estimate"}
    return Json({"input_tokens": counted}, headers=headers)


def _count(backend: Backend, parsed: wire.ParsedRequest) -> tuple[int, bool]:
    generation = _generation(backend, parsed)
    counted = backend.router.prompt_tokens(generation)
    if counted is not None:
        return counted, True
    return wire_messages.estimate(generation, backend.router.count_tokens), False


def _generation(backend: Backend, parsed: wire.ParsedRequest) -> GenerationRequest:
    if parsed.prompt is not None:
        return backend.service.raw_request(parsed.prompt, parsed.options)
    return backend.service.chat_request(parsed.messages, parsed.options)


async def answer(
    request: Request, parsed: wire.ParsedRequest, shape: Callable[[str], Format], said: Mapping[str, str] | None = None
) -> Response:
    """Generate `parsed` on its backend and answer in the format `shape` makes for that backend's
    name (with the headers `said`): the one pipeline of every generating endpoint, whatever its
    wire format."""
    state = state_of(request)
    backend = state.backends.get(state.route(parsed.model))
    generation = capped(_generation(backend, parsed), state.options.max_tokens)
    record = record_of(request)
    record.model, record.stream = backend.name, parsed.stream
    ticket = await entered(request, backend.gate, state.stopping)
    chunks = backend.service.astream(generation)

    async def cleanup() -> None:
        try:
            await aclose_stream(chunks)  # stops decoding when the answer was left early
        finally:
            ticket.leave()

    try:
        first = await unless_gone(request, anext(chunks, None))
        if first is None:
            raise HttpError(502, f"{backend.name} ended its answer before it began", "server_error", "empty_answer")
        served = backend.router.served_by(chunks)
        record.provider = served.id if served else None
        record.fallback = ",".join(pid for pid, _ in backend.router.failures_of(chunks)) or None
        reply = shape(backend.name)
        headers = {**(said or {}), "X-Chi-Llm-Provider": record.provider or ""}
        if record.fallback:
            headers["X-Chi-Llm-Fallback"] = record.fallback  # the profiles that failed before it
        if parsed.stream:

            def done(usage: Any) -> None:
                record.usage = usage

            body = reply.events(aresumed(first, chunks), stopping=state.stopping, done=done)
            return EventStream(body, cleanup, headers=headers, gone=record.left)
        completion = await unless_gone(request, _rest(first, chunks, backend.name))
    except BaseException:
        with anyio.CancelScope(shield=True):
            await cleanup()
        raise
    await cleanup()
    record.usage = completion.usage
    return Json(reply.whole(completion), headers=headers)


async def _rest(first: Chunk, chunks: Any, model: str) -> Completion:
    """The whole answer. A tool call the model wrote unreadably is the backend's failure, not a
    bad request (a stream passes its text on as written, as OpenAI's API does)."""
    gathered = [first, *[chunk async for chunk in chunks]]
    try:
        return collect(gathered, model=model)
    except InvalidRequest as error:
        if not any(chunk.tool_calls for chunk in gathered):
            raise
        raise InvalidToolCall(
            f"{model} answered with a tool call that cannot be read: {error.message}. Ask again (a retry may "
            "get a readable call), or stream the answer to receive the call's text as the model wrote it",
            backend=model,
        ) from None


async def embeddings(request: Request) -> Response:
    """OpenAI embeddings by the configured RAG embedding model, float or base64."""
    state = state_of(request)
    model, texts, encoding = wire.embedding_inputs(await read_json(request, state.options.max_body_bytes))
    embedder, gate = state.embedder(model)
    record_of(request).model = state.embedding_name()
    ticket = await entered(request, gate, state.stopping)
    vectors: list[list[float]] = []
    tokens = 0
    try:
        for start in range(0, len(texts), EMBED_BATCH):  # a client that leaves stops it within a batch
            part = texts[start : start + EMBED_BATCH]
            done, counted = await unless_gone(request, anyio.to_thread.run_sync(_embed, embedder, part))
            vectors += done
            tokens += counted
    finally:
        ticket.leave()
    return Json(embedding_list(vectors, model=model or state.embedding_name(), tokens=tokens, encoding=encoding))


EMBED_BATCH = 32  # texts embedded between two looks at the client


def _embed(embedder: Any, texts: list[str]) -> tuple[list[list[float]], int]:
    return embedder.embed_documents(texts), sum(embedder.count_tokens(text) for text in texts)


async def list_models(request: Request) -> Response:
    """The models this server answers with: chat models first, then the embedding model."""
    return Json(model_list(state_of(request).models()))


async def get_model(request: Request) -> Response:
    """One model of the list, or 404."""
    wanted = request.path_params["model"]
    for model in state_of(request).models():
        if model["id"] == wanted:
            return Json(model)
    raise HttpError(404, f"no model {wanted!r} here; GET /v1/models lists them", code="model_not_found", param="model")


async def health(request: Request) -> Response:
    """Status, version and each model's running and waiting requests; 503 while shutting down."""
    state = state_of(request)
    return Json(state.health(), status_code=503 if state.draining else 200)
