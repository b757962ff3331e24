"""A Gemini generateContent / streamGenerateContent server (as in ai.google.dev's REST docs)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from chi_llm.domain.errors import ContextLengthExceeded, ModelNotFound
from chi_llm.domain.generation import Chunk, GenerationOptions, GenerationRequest
from chi_llm.domain.messages import Message
from chi_llm.domain.structured import OutputSchema
from tests.support.servers.base import Handler

STATUS = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    503: "UNAVAILABLE",
}


def _calls(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The functionCall parts a request with tools gets: one per declared function (only the
    allowed ones when named), each echoing the last user text (its text parts), unless the last turn carries
    only function responses (then the answer is text)."""
    declared = [d for t in body.get("tools") or [] for d in t.get("functionDeclarations", [])]
    config = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
    last = body["contents"][-1]["parts"]
    if not declared or config.get("mode") == "NONE" or all("functionResponse" in p for p in last):
        return []
    allowed = config.get("allowedFunctionNames") or [d["name"] for d in declared]
    said = " ".join(str(p["text"]) for p in last if "text" in p)
    return [{"functionCall": {"name": name, "args": {"echo": said}}} for name in allowed]


def _text(parts: list[dict[str, Any]]) -> str:
    """A turn's text: its text parts and function responses, as the engine sees the conversation."""
    return " ".join(
        json.dumps(p["functionResponse"]["response"]) if "functionResponse" in p else str(p.get("text", ""))
        for p in parts
    )


class GeminiHandler(Handler):
    def error_body(self, status: int, message: str, code: str | None = None) -> Any:
        return {"error": {"code": status, "message": message, "status": STATUS.get(status, "INTERNAL")}}

    def route(self, method: str, path: str, body: Any) -> None:
        if not self.authorized(self.headers.get("x-goog-api-key")):
            return self.send_json(400, self.error_body(400, "API key not valid. Please pass a valid API key."))
        engine = self.server_state.engine
        if method == "GET" and path.startswith("/v1beta/models") and ":" not in path:
            return self.send_json(
                200,
                {
                    "models": [
                        {
                            "name": f"models/{m}",
                            "displayName": m,
                            "inputTokenLimit": engine.context,
                            "outputTokenLimit": 8192,
                            "supportedGenerationMethods": ["generateContent", "countTokens"],
                        }
                        for m in sorted(engine.models)
                    ]
                },
            )
        match = re.match(r"^/v1beta/models/([^:]+):(generateContent|streamGenerateContent)(\?alt=sse)?$", path)
        if method == "POST" and match:
            return self.generate(body, match.group(1), stream=match.group(2) == "streamGenerateContent")
        return self.send_json(404, self.error_body(404, f"Not found: {path}"))

    def generate(self, body: dict[str, Any], model: str, *, stream: bool) -> None:
        turns = [
            Message(
                role="assistant" if c.get("role") == "model" else "user",
                content=_text(c["parts"]),
            )
            for c in body["contents"]
        ]
        system = body.get("systemInstruction")
        if system:
            turns.insert(0, Message(role="system", content="".join(p.get("text", "") for p in system["parts"])))
        config = body.get("generationConfig") or {}
        options = GenerationOptions(
            temperature=config.get("temperature"),
            top_p=config.get("topP"),
            max_tokens=config.get("maxOutputTokens"),
            seed=config.get("seed"),
            stop=tuple(config.get("stopSequences") or ()),
            schema=OutputSchema.of(config["responseSchema"]) if "responseSchema" in config else None,
        )
        request = GenerationRequest(messages=tuple(turns), model=model, options=options)
        try:
            chunks = self.server_state.engine.stream(request)
        except ModelNotFound:
            return self.send_json(
                404,
                self.error_body(
                    404, f"models/{model} is not found for API version v1beta, or is not supported for generateContent."
                ),
            )
        except ContextLengthExceeded as exc:
            return self.send_json(
                400,
                self.error_body(
                    400,
                    f"The input token count ({exc.prompt_tokens}) exceeds the maximum number of tokens allowed "
                    f"({exc.context}).",
                ),
            )
        if not stream:
            parts = list(chunks)
            return self.send_json(200, self.response("".join(c.text for c in parts), parts[-1], _calls(body)))
        self.start_stream("text/event-stream")
        self.stream_pieces(self.events(chunks, _calls(body)))
        return None

    def response(self, text: str, final: Chunk | None, calls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        parts = [{"text": text}, *(calls or [])]
        candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
        out: dict[str, Any] = {"candidates": [candidate], "modelVersion": "fake-model"}
        if final is not None and final.finish_reason and final.usage:
            candidate["finishReason"] = "MAX_TOKENS" if final.finish_reason == "length" else "STOP"
            out["usageMetadata"] = {
                "promptTokenCount": final.usage.prompt_tokens,
                "candidatesTokenCount": final.usage.completion_tokens,
                "totalTokenCount": final.usage.total_tokens,
            }
        return out

    def events(self, chunks: Iterator[Chunk], calls: list[dict[str, Any]] | None = None) -> Iterator[bytes]:
        """A frame per text piece; the calls, each whole in a frame of its own, before the last."""
        try:
            for chunk in chunks:
                if chunk.finish_reason:
                    for call in calls or []:
                        yield f"data: {json.dumps(self.response('', None, [call]))}\r\n\r\n".encode()
                payload = self.response(chunk.text, chunk if chunk.finish_reason else None)
                yield f"data: {json.dumps(payload)}\r\n\r\n".encode()
        finally:
            close = getattr(chunks, "close", None)
            if close:
                close()
