"""An OpenAI Chat Completions server (as documented in OpenAI's API reference), on loopback."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from chi_llm.domain.errors import ContextLengthExceeded, ModelNotFound
from chi_llm.domain.generation import Chunk, GenerationOptions, GenerationRequest
from chi_llm.domain.structured import OutputSchema
from tests.support.servers.base import Handler
from tests.support.servers.tool_script import engine_messages, gathered, offered, unanswered_results

FRAGMENT = 4  # characters of a call's arguments per streamed event: a call spans several


def options(body: dict[str, Any], max_key: str = "max_tokens") -> GenerationOptions:
    stop = body.get("stop") or ()
    return GenerationOptions(
        temperature=body.get("temperature"),
        top_p=body.get("top_p"),
        max_tokens=body.get(max_key),
        stop=(stop,) if isinstance(stop, str) else tuple(stop),
        seed=body.get("seed"),
        schema=_schema(body.get("response_format")),
    )


def _schema(response_format: Any) -> OutputSchema | None:
    """OpenAI's `response_format: {type: json_schema, json_schema: {name, schema, strict}}`."""
    if not isinstance(response_format, dict) or response_format.get("type") != "json_schema":
        return None
    spec = response_format["json_schema"]
    return OutputSchema.of(spec["schema"], name=spec.get("name", "output"))


class OpenAIHandler(Handler):
    def error_body(self, status: int, message: str, code: str | None = None) -> Any:
        kind = {401: "invalid_request_error", 404: "invalid_request_error", 429: "requests"}.get(status, "server_error")
        return {"error": {"message": message, "type": kind, "param": None, "code": code}}

    def route(self, method: str, path: str, body: Any) -> None:
        auth = self.headers.get("Authorization", "")
        if not self.authorized(auth.removeprefix("Bearer ") if auth else None):
            shown = auth if self.server_state.faults.echo_key else "sk-***"
            return self.send_json(401, self.error_body(401, f"Incorrect API key provided: {shown}", "invalid_api_key"))
        if method == "GET" and path == "/v1/models":
            data = [
                {"id": m, "object": "model", "created": 0, "owned_by": "tests"}
                for m in sorted(self.server_state.engine.models)
            ]
            return self.send_json(200, {"object": "list", "data": data})
        if method == "POST" and path in ("/v1/chat/completions", "/v1/completions"):
            return self.complete(body, chat=path.endswith("chat/completions"))
        return self.send_json(404, self.error_body(404, f"Unknown request URL: {method} {path}", "unknown_url"))

    def complete(self, body: dict[str, Any], *, chat: bool) -> None:
        if chat:
            orphans = unanswered_results(body["messages"])
            if orphans:
                return self.send_json(
                    400,
                    self.error_body(
                        400,
                        "Invalid parameter: messages with role 'tool' must be a response to a preceeding "
                        f"message with 'tool_calls' ({', '.join(orphans)}).",
                    ),
                )
            tools = offered(body.get("tools"), body.get("tool_choice"), body.get("parallel_tool_calls"))
            messages = engine_messages(body["messages"])
            request = GenerationRequest(
                messages=messages, model=body.get("model"), options=replace(options(body), tools=tools)
            )
        else:
            request = GenerationRequest(prompt=body["prompt"], model=body.get("model"), options=options(body))
        try:
            chunks = self.server_state.engine.stream(request)
        except ModelNotFound:
            return self.send_json(
                404,
                self.error_body(
                    404,
                    f"The model `{body.get('model')}` does not exist or you do not have access to it.",
                    "model_not_found",
                ),
            )
        except ContextLengthExceeded as exc:
            return self.send_json(
                400,
                self.error_body(
                    400,
                    f"This model's maximum context length is {exc.context} tokens. However, your messages "
                    f"resulted in {exc.prompt_tokens} tokens.",
                    "context_length_exceeded",
                ),
            )
        kind = "chat.completion" if chat else "text_completion"
        if request.options.tools is not None:  # the answer may be calls: read it whole to see
            parts = list(chunks)
            if any(c.tool_calls for c in parts):
                return self.call(body, parts)
            chunks = iter(parts)
        if not body.get("stream"):
            parts = list(chunks)
            final = parts[-1]
            text = "".join(c.text for c in parts)
            choice: dict[str, Any] = {"index": 0, "finish_reason": final.finish_reason}
            choice.update({"message": {"role": "assistant", "content": text}} if chat else {"text": text})
            usage = final.usage
            assert usage is not None
            return self.send_json(
                200,
                {
                    "id": "cmpl-1",
                    "object": kind,
                    "created": int(time.time()),
                    "model": body["model"],
                    "choices": [choice],
                    "usage": {
                        "prompt_tokens": usage.prompt_tokens,
                        "completion_tokens": usage.completion_tokens,
                        "total_tokens": usage.total_tokens,
                    },
                },
            )
        include_usage = (body.get("stream_options") or {}).get("include_usage")
        self.start_stream("text/event-stream")
        self.stream_pieces(self.events(chunks, body["model"], chat, bool(include_usage)))
        return None

    def call(self, body: dict[str, Any], parts: list[Chunk]) -> None:
        """Answer with the engine's tool calls (and any text): whole, or streamed as OpenAI streams
        them (per call its id and name, then its arguments in FRAGMENT-character pieces, one SSE
        event each)."""
        usage = parts[-1].usage
        assert usage is not None
        wire: list[dict[str, Any]] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in gathered(parts)
        ]
        text = "".join(c.text for c in parts) or None
        counts = {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens}
        counts["total_tokens"] = counts["prompt_tokens"] + counts["completion_tokens"]
        base = {"id": "chatcmpl-2", "created": int(time.time()), "model": body["model"]}
        if not body.get("stream"):
            message = {"role": "assistant", "content": text, "tool_calls": wire}
            choice = {"index": 0, "message": message, "finish_reason": "tool_calls", "logprobs": None}
            return self.send_json(200, {**base, "object": "chat.completion", "choices": [choice], "usage": counts})
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": text}]
        for index, call in enumerate(wire):
            head = {"index": index, "id": call["id"], "type": "function"}
            deltas.append({"tool_calls": [{**head, "function": {"name": call["function"]["name"], "arguments": ""}}]})
            text = call["function"]["arguments"]
            for at in range(0, len(text), FRAGMENT):
                deltas.append({"tool_calls": [{"index": index, "function": {"arguments": text[at : at + FRAGMENT]}}]})
        events: list[dict[str, Any]] = [{"index": 0, "delta": d, "finish_reason": None} for d in deltas]
        events.append({"index": 0, "delta": {}, "finish_reason": "tool_calls"})
        frames = [{**base, "object": "chat.completion.chunk", "choices": [e]} for e in events]
        if (body.get("stream_options") or {}).get("include_usage"):
            frames.append({**base, "object": "chat.completion.chunk", "choices": [], "usage": counts})
        self.start_stream("text/event-stream")
        self.stream_pieces(iter([*(f"data: {json.dumps(f)}\n\n".encode() for f in frames), b"data: [DONE]\n\n"]))
        return None

    def events(self, chunks: Iterator[Chunk], model: str, chat: bool, include_usage: bool) -> Iterator[bytes]:
        kind = "chat.completion.chunk" if chat else "text_completion"

        def frame(payload: dict[str, Any]) -> bytes:
            return f"data: {json.dumps(payload)}\n\n".encode()

        base = {"id": "chatcmpl-1", "object": kind, "created": int(time.time()), "model": model}
        try:
            for chunk in chunks:
                choice: dict[str, Any] = {"index": 0, "finish_reason": chunk.finish_reason}
                if chat:
                    choice["delta"] = {"content": chunk.text} if chunk.text else {}
                else:
                    choice["text"] = chunk.text
                yield frame({**base, "choices": [choice]})
                if chunk.finish_reason and include_usage and chunk.usage:
                    yield frame(
                        {
                            **base,
                            "choices": [],
                            "usage": {
                                "prompt_tokens": chunk.usage.prompt_tokens,
                                "completion_tokens": chunk.usage.completion_tokens,
                                "total_tokens": chunk.usage.total_tokens,
                            },
                        }
                    )
            yield b"data: [DONE]\n\n"
        finally:
            close = getattr(chunks, "close", None)
            if close:
                close()
