"""An Ollama server (as documented in ollama/docs/api.md) on loopback: NDJSON streaming."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.domain.errors import ModelNotFound
from chi_llm.domain.generation import Chunk, GenerationOptions, GenerationRequest
from chi_llm.domain.structured import OutputSchema
from tests.support.servers.base import Handler, Server, serve
from tests.support.servers.tool_script import engine_messages, gathered, offered

NOW = "2026-11-25T12:00:00Z"


class OllamaHandler(Handler):
    NO_TOOLS = frozenset({"gemma:2b"})  # served models whose template has no tools: Ollama refuses them

    def error_body(self, status: int, message: str, code: str | None = None) -> Any:
        return {"error": message}

    def malformed(self) -> bytes:
        return b"{not json\n"

    def route(self, method: str, path: str, body: Any) -> None:
        engine = self.server_state.engine
        if method == "GET" and path == "/api/tags":
            return self.send_json(
                200,
                {
                    "models": [
                        {
                            "name": m,
                            "model": m,
                            "modified_at": NOW,
                            "size": 1234,
                            "digest": "ab" * 32,
                            "details": {
                                "format": "gguf",
                                "family": "llama",
                                "parameter_size": "1B",
                                "quantization_level": "Q4_K_M",
                            },
                        }
                        for m in sorted(engine.models)
                    ]
                },
            )
        if method == "POST" and path == "/api/show":
            if body.get("model") not in engine.models:
                return self.send_json(404, {"error": f"model '{body.get('model')}' not found"})
            return self.send_json(
                200,
                {
                    "details": {"family": "llama"},
                    "model_info": {"general.architecture": "llama", "llama.context_length": engine.context},
                },
            )
        if method == "POST" and path in ("/api/chat", "/api/generate"):
            return self.generate(body, chat=path == "/api/chat")
        return self.send_json(404, {"error": "404 page not found"})

    def generate(self, body: dict[str, Any], *, chat: bool) -> None:
        o = body.get("options") or {}
        options = GenerationOptions(
            temperature=o.get("temperature"),
            top_p=o.get("top_p"),
            max_tokens=o.get("num_predict"),
            stop=tuple(o.get("stop") or ()),
            seed=o.get("seed"),
            truncate=True,
            schema=OutputSchema.of(body["format"]) if isinstance(body.get("format"), dict) else None,
        )  # Ollama truncates silently
        if chat:
            messages = engine_messages(body["messages"])
            options = replace(options, tools=offered(body.get("tools")))
            request = GenerationRequest(messages=messages, model=body["model"], options=options)
        else:
            request = GenerationRequest(prompt=body["prompt"], model=body["model"], options=options)
        try:
            chunks = self.server_state.engine.stream(request)
        except ModelNotFound:
            return self.send_json(404, {"error": f'model "{body["model"]}" not found, try pulling it first'})
        if body.get("tools") and body["model"] in self.NO_TOOLS:  # as server/images.go CheckCapabilities
            return self.send_json(400, {"error": f"registry.ollama.ai/library/{body['model']} does not support tools"})
        if request.options.tools is not None:  # the answer may be calls: read it whole to see
            parts = list(chunks)
            if any(c.tool_calls for c in parts):
                return self.call(body, parts)
            chunks = iter(parts)
        if body.get("stream", True) is False:
            parts = list(chunks)
            return self.send_json(200, self.line(body["model"], "".join(c.text for c in parts), parts[-1], chat))
        self.start_stream("application/x-ndjson")
        self.stream_pieces(self.lines(chunks, body["model"], chat))
        return None

    def call(self, body: dict[str, Any], parts: list[Chunk]) -> None:
        """Answer with the engine's tool calls (arguments as objects) and any text: whole, or
        streamed as the text, then one whole call per line, then the final line. Ollama says
        done_reason "stop" either way."""
        final, text = parts[-1], "".join(c.text for c in parts)
        wire = [
            {"id": c.id, "function": {"index": i, "name": c.name, "arguments": json.loads(c.arguments)}}
            for i, c in enumerate(gathered(parts))
        ]
        if body.get("stream", True) is False:
            out = self.line(body["model"], text, final, chat=True)
            out["message"]["tool_calls"] = wire
            return self.send_json(200, out)
        lines = [self.line(body["model"], text, None, chat=True)] if text else []
        for call in wire:
            out = self.line(body["model"], "", None, chat=True)
            out["message"]["tool_calls"] = [call]
            lines.append(out)
        lines.append(self.line(body["model"], "", final, chat=True))
        self.start_stream("application/x-ndjson")
        self.stream_pieces(iter([(json.dumps(line) + "\n").encode() for line in lines]))
        return None

    def line(self, model: str, text: str, chunk: Chunk | None, chat: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model": model,
            "created_at": NOW,
            "done": chunk is not None and bool(chunk.finish_reason),
        }
        if chat:
            out["message"] = {"role": "assistant", "content": text}
        else:
            out["response"] = text
        if chunk is not None and chunk.finish_reason and chunk.usage:
            out.update(
                done_reason="length" if chunk.finish_reason == "length" else "stop",
                total_duration=1000,
                prompt_eval_count=chunk.usage.prompt_tokens,
                eval_count=chunk.usage.completion_tokens,
                eval_duration=900,
            )
        return out

    def lines(self, chunks: Iterator[Chunk], model: str, chat: bool) -> Iterator[bytes]:
        try:
            for chunk in chunks:
                payload = self.line(model, chunk.text, chunk if chunk.finish_reason else None, chat)
                yield (json.dumps(payload) + "\n").encode()
        finally:
            close = getattr(chunks, "close", None)
            if close:
                close()


@contextmanager
def hello_ollama() -> Iterator[Server]:
    """An Ollama server on loopback whose fake model answers "hello from ollama" (20 times)."""
    engine = FakeTextGenerator(["hello from ollama"] * 20, models=("llama3.2",))
    with serve(OllamaHandler, Server(engine=engine)) as server:
        yield server
