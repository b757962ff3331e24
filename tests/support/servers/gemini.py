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
from chi_llm.domain.tools import Tool, ToolCall, ToolSet
from tests.support.servers.base import Handler
from tests.support.servers.tool_script import gathered

STATUS = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    503: "UNAVAILABLE",
}


CHOICES = {"AUTO": "auto", "ANY": "required", "NONE": "none"}


def offered(body: dict[str, Any]) -> ToolSet | None:
    """The request's ToolSet from `functionDeclarations` (no `parameters`: none) and
    `functionCallingConfig` (mode AUTO, ANY, NONE; one allowed name: that tool)."""
    declared = [d for t in body.get("tools") or [] for d in t.get("functionDeclarations", [])]
    if not declared:
        return None
    config = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
    allowed = config.get("allowedFunctionNames") or []
    return ToolSet(
        tools=tuple(
            Tool(
                name=d["name"],
                description=d.get("description", ""),
                parameters=d.get("parameters") or {"type": "object", "properties": {}},
            )
            for d in declared
        ),
        choice=allowed[0] if len(allowed) == 1 else CHOICES[config.get("mode", "AUTO")],
    )


def engine_turns(body: dict[str, Any]) -> list[Message]:
    """The wire's turns as the engine takes them: a model turn's `functionCall` parts as its
    calls (Gemini gives them no ids: made per place), a user turn's `functionResponse` parts as
    results answering the latest call of that name (then its text, if any)."""
    turns: list[Message] = []
    asked: dict[str, str] = {}  # tool name -> the id of its latest call
    for content in body["contents"]:
        parts = content["parts"]
        text = "".join(str(p["text"]) for p in parts if "text" in p)
        if content.get("role") == "model":
            calls = []
            for p in (p for p in parts if "functionCall" in p):
                call = p["functionCall"]
                made = ToolCall(
                    id=f"call_{len(asked)}_{len(turns)}",
                    name=call["name"],
                    arguments=call.get("args") or {},
                    raw=json.dumps(call.get("args") or {}),
                )
                asked[made.name] = made.id
                calls.append(made)
            turns.append(Message(role="assistant", content=text, tool_calls=tuple(calls)))
            continue
        results = [p["functionResponse"] for p in parts if "functionResponse" in p]
        for result in results:
            answer = result.get("response") or {}
            turns.append(
                Message(
                    role="tool",
                    content=str(answer.get("output", answer.get("error", ""))),
                    tool_call_id=asked.get(result["name"], "unknown"),
                    name=result["name"],
                    is_error="error" in answer,
                )
            )
        if text or not results:
            turns.append(Message(role="user", content=text))
    return turns


def wire_calls(parts: list[Chunk]) -> list[dict[str, Any]]:
    """The engine's calls as `functionCall` parts (arguments an object; Gemini sends no ids)."""
    calls = []
    for call in gathered(parts):
        try:
            args = json.loads(call.arguments)
        except ValueError:
            args = {"text": call.arguments}
        calls.append({"functionCall": {"name": call.name, "args": args}})
    return calls


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
        turns = engine_turns(body)
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
            tools=offered(body),
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
        parts = list(chunks) if options.tools is not None else []  # the answer may be calls: read it whole
        calls = wire_calls(parts)
        if parts:
            chunks = iter(parts)
        if not stream:
            parts = list(chunks)
            return self.send_json(200, self.response("".join(c.text for c in parts), parts[-1], calls))
        self.start_stream("text/event-stream")
        self.stream_pieces(self.events(chunks, calls))
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
