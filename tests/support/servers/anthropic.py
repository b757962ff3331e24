"""An Anthropic Messages API server (as documented at docs.anthropic.com) on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from chi_llm.domain.errors import ContextLengthExceeded, ModelNotFound
from chi_llm.domain.generation import Chunk, GenerationOptions, GenerationRequest
from chi_llm.domain.messages import Message
from chi_llm.domain.structured import OutputSchema
from chi_llm.domain.tools import Tool, ToolCall, ToolSet
from tests.support.servers.base import Handler
from tests.support.servers.tool_script import gathered

TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    429: "rate_limit_error",
    503: "overloaded_error",
}


def _forced_tool(body: dict[str, Any]) -> OutputSchema | None:
    """`tool_choice: {type: tool, name}` with that tool in `tools`: the answer is its input."""
    choice = body.get("tool_choice") or {}
    if choice.get("type") != "tool":
        return None
    tool = next(t for t in body.get("tools", []) if t["name"] == choice["name"])
    if tool.get("description") != SCHEMA_TOOL:  # a tool to call, not a schema to follow
        return None
    return OutputSchema.of(tool["input_schema"], name=tool["name"])


def _block(body: dict[str, Any], text: str) -> dict[str, Any]:
    """A text block, or, when a tool is forced, a tool_use block whose input is the JSON written."""
    forced = _forced_tool(body)
    if forced is None:
        return {"type": "text", "text": text}
    try:
        value = json.loads(text)
    except ValueError:
        value = {"text": text}
    return {"type": "tool_use", "id": "toolu_1", "name": forced.name, "input": value}


SCHEMA_TOOL = "Reply with this structure."  # the description of a schema's forced tool (not a tool to call)
CHOICES = {"auto": "auto", "any": "required", "none": "none"}


def offered(body: dict[str, Any]) -> ToolSet | None:
    """The request's ToolSet from `tools` (each `input_schema`) and `tool_choice` (auto, any,
    tool, none; `disable_parallel_tool_use`); None without tools or for a schema's forced tool."""
    tools = body.get("tools") or []
    if not tools or _forced_tool(body) is not None:
        return None
    choice = body.get("tool_choice") or {"type": "auto"}
    return ToolSet(
        tools=tuple(
            Tool(name=t["name"], description=t.get("description", ""), parameters=t["input_schema"]) for t in tools
        ),
        choice=CHOICES.get(choice["type"]) or choice["name"],
        parallel=False if choice.get("disable_parallel_tool_use") else None,
    )


def engine_turns(body: dict[str, Any]) -> list[Message]:
    """The wire's turns as the engine takes them: an assistant's `tool_use` blocks as its calls,
    a user turn's `tool_result` blocks as tool results (then its text, if any)."""
    turns = []
    for m in body["messages"]:
        content = m["content"]
        if isinstance(content, str):
            turns.append(Message(role=m["role"], content=content))
            continue
        text = " ".join(str(b["text"]) for b in content if b.get("type") == "text")
        if m["role"] == "assistant":
            calls = tuple(
                ToolCall(id=b["id"], name=b["name"], arguments=b["input"], raw=json.dumps(b["input"]))
                for b in content
                if b.get("type") == "tool_use"
            )
            turns.append(Message(role="assistant", content=text, tool_calls=calls))
            continue
        for block in (b for b in content if b.get("type") == "tool_result"):
            said = block.get("content") or ""
            said = said if isinstance(said, str) else " ".join(str(p.get("text", "")) for p in said)
            turns.append(
                Message(
                    role="tool", content=said, tool_call_id=block["tool_use_id"], is_error=bool(block.get("is_error"))
                )
            )
        if text or not any(b.get("type") == "tool_result" for b in content):
            turns.append(Message(role="user", content=text))
    return turns


def wire_calls(parts: list[Chunk], serial: int) -> list[dict[str, Any]]:
    """The engine's calls as `tool_use` blocks; the ids are the server's own, fresh per request
    (`serial`), as Anthropic's are."""
    blocks = []
    for i, call in enumerate(gathered(parts)):
        try:
            given = json.loads(call.arguments)
        except ValueError:
            given = {"text": call.arguments}
        blocks.append({"type": "tool_use", "id": f"toolu_{serial}_{i}", "name": call.name, "input": given})
    return blocks


class AnthropicHandler(Handler):
    def error_body(self, status: int, message: str, code: str | None = None) -> Any:
        return {"type": "error", "error": {"type": TYPES.get(status, "api_error"), "message": message}}

    def malformed(self) -> bytes:
        return b"event: content_block_delta\ndata: {oops\n\n"

    def route(self, method: str, path: str, body: Any) -> None:
        if not self.authorized(self.headers.get("x-api-key")):
            return self.send_json(401, self.error_body(401, "invalid x-api-key"))
        if not self.headers.get("anthropic-version"):
            return self.send_json(400, self.error_body(400, "anthropic-version: header is required"))
        engine = self.server_state.engine
        if method == "GET" and path.startswith("/v1/models"):
            data = [
                {"type": "model", "id": m, "display_name": m.title(), "created_at": "2026-01-01T00:00:00Z"}
                for m in sorted(engine.models)
            ]
            return self.send_json(200, {"data": data, "has_more": False, "first_id": None, "last_id": None})
        if method == "POST" and path == "/v1/messages":
            return self.messages(body)
        return self.send_json(404, self.error_body(404, f"Not found: {path}"))

    def messages(self, body: dict[str, Any]) -> None:
        if "max_tokens" not in body:
            return self.send_json(400, self.error_body(400, "max_tokens: Field required"))
        turns = engine_turns(body)
        if body.get("system"):
            turns.insert(0, Message(role="system", content=body["system"]))
        options = GenerationOptions(
            temperature=body.get("temperature"),
            top_p=body.get("top_p"),
            max_tokens=body["max_tokens"],
            stop=tuple(body.get("stop_sequences") or ()),
            schema=_forced_tool(body),
            tools=offered(body),
        )
        request = GenerationRequest(messages=tuple(turns), model=body.get("model"), options=options)
        try:
            chunks = self.server_state.engine.stream(request)
        except ModelNotFound:
            return self.send_json(404, self.error_body(404, f"model: {body.get('model')}"))
        except ContextLengthExceeded as exc:
            return self.send_json(
                400, self.error_body(400, f"prompt is too long: {exc.prompt_tokens} tokens > {exc.context} maximum")
            )
        parts = list(chunks) if options.tools is not None else []  # the answer may be calls: read it whole
        calls = wire_calls(parts, len(self.server_state.requests))
        if parts:
            chunks = iter(parts)
        if not body.get("stream"):
            parts = list(chunks)
            usage = parts[-1].usage
            assert usage is not None
            reason = "max_tokens" if parts[-1].finish_reason == "length" else "end_turn"
            return self.send_json(
                200,
                {
                    "id": "msg_1",
                    "type": "message",
                    "role": "assistant",
                    "model": body["model"],
                    "content": [_block(body, "".join(c.text for c in parts)), *calls],
                    "stop_reason": "tool_use" if calls else reason,
                    "stop_sequence": None,
                    "usage": {"input_tokens": usage.prompt_tokens, "output_tokens": usage.completion_tokens},
                },
            )
        self.start_stream("text/event-stream")
        prompt_tokens = self.server_state.engine._prompt_tokens(request)  # known before the first token
        forced = None if calls else _forced_tool(body)
        self.stream_pieces(self.events(chunks, body["model"], prompt_tokens, forced=forced, calls=calls))
        return None

    def events(
        self,
        chunks: Iterator[Chunk],
        model: str,
        prompt_tokens: int,
        *,
        forced: OutputSchema | None = None,
        calls: list[dict[str, Any]] | None = None,
    ) -> Iterator[bytes]:
        def event(name: str, payload: dict[str, Any]) -> bytes:
            return f"event: {name}\ndata: {json.dumps({'type': name, **payload})}\n\n".encode()

        try:
            first = True
            for chunk in chunks:
                if first:
                    yield event(
                        "message_start",
                        {
                            "message": {
                                "id": "msg_1",
                                "type": "message",
                                "role": "assistant",
                                "model": model,
                                "content": [],
                                "stop_reason": None,
                                "usage": {"input_tokens": prompt_tokens, "output_tokens": 1},
                            }
                        },
                    )
                    block: dict[str, Any] = {"type": "text", "text": ""}
                    if forced is not None:  # a forced tool: its input streams as JSON text
                        block = {"type": "tool_use", "id": "toolu_1", "name": forced.name, "input": {}}
                    yield event("content_block_start", {"index": 0, "content_block": block})
                    yield event("ping", {})
                    first = False
                if chunk.text:
                    delta = {"type": "text_delta", "text": chunk.text}
                    if forced is not None:
                        delta = {"type": "input_json_delta", "partial_json": chunk.text}
                    yield event("content_block_delta", {"index": 0, "delta": delta})
                if chunk.finish_reason and chunk.usage:
                    yield event("content_block_stop", {"index": 0})
                    yield from self.call_events(event, calls or [])
                    reason = "max_tokens" if chunk.finish_reason == "length" else "end_turn"
                    reason = "tool_use" if calls else reason
                    yield event(
                        "message_delta",
                        {
                            "delta": {"stop_reason": reason, "stop_sequence": None},
                            "usage": {"output_tokens": chunk.usage.completion_tokens},
                        },
                    )
                    yield event("message_stop", {})
        finally:
            close = getattr(chunks, "close", None)
            if close:
                close()

    @staticmethod
    def call_events(event: Any, calls: list[dict[str, Any]]) -> Iterator[bytes]:
        """Each call as a tool_use block whose input streams in three input_json_delta pieces."""
        for index, call in enumerate(calls, start=1):
            yield event("content_block_start", {"index": index, "content_block": {**call, "input": {}}})
            text = json.dumps(call["input"])
            third = max(len(text) // 3, 1)
            for piece in (text[:third], text[third : 2 * third], text[2 * third :]):
                delta = {"type": "input_json_delta", "partial_json": piece}
                yield event("content_block_delta", {"index": index, "delta": delta})
            yield event("content_block_stop", {"index": index})
