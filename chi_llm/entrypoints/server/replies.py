"""OpenAI's response shapes, written from domain values: pure functions."""

from __future__ import annotations

import base64
import json
import secrets
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import JSONResponse

from chi_llm.adapters.providers.openai_tools import wire_call
from chi_llm.domain.generation import Completion, Usage
from chi_llm.domain.shown_text import shown_values
from chi_llm.domain.tools import ToolCallDelta


def json_bytes(content: Any) -> bytes:
    """Compact UTF-8 JSON; a string UTF-8 cannot carry is shown escaped instead of failing."""
    try:
        return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(shown_values(content), ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


class Json(JSONResponse):
    """Starlette's JSONResponse through `json_bytes`."""

    def render(self, content: Any) -> bytes:
        return json_bytes(content)


def usage(value: Usage | None) -> dict[str, Any] | None:
    if value is None:
        return None
    out: dict[str, Any] = {
        "prompt_tokens": value.prompt_tokens,
        "completion_tokens": value.completion_tokens,
        "total_tokens": value.total_tokens,
    }
    if value.cached_tokens:
        out["prompt_tokens_details"] = {"cached_tokens": value.cached_tokens}
    return out


@dataclass(slots=True)
class Reply:
    """One response's identity: the same id, time and model on every chunk of a stream."""

    model: str
    chat: bool
    id: str = ""
    created: int = field(default_factory=lambda: int(time.time()))

    def __post_init__(self) -> None:
        if not self.id:
            self.id = ("chatcmpl-" if self.chat else "cmpl-") + secrets.token_hex(12)

    def _head(self, *, chunk: bool) -> dict[str, Any]:
        kind = "chat.completion" if self.chat else "text_completion"
        return {
            "id": self.id,
            "object": f"{kind}.chunk" if chunk and self.chat else kind,
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
        }

    def whole(self, done: Completion) -> dict[str, Any]:
        """The answer of a request that did not stream."""
        choice: dict[str, Any] = {"index": 0, "finish_reason": done.finish_reason, "logprobs": None}
        if self.chat:
            choice["message"] = {"role": "assistant", "content": done.text, "refusal": None}
            if done.tool_calls:  # content is null when the answer is only calls, as OpenAI's
                choice["message"].update(content=done.text or None, tool_calls=[wire_call(c) for c in done.tool_calls])
        else:
            choice["text"] = done.text
        return {**self._head(chunk=False), "choices": [choice], "usage": usage(done.usage)}

    def delta(
        self, text: str, *, first: bool = False, finish: str | None = None, calls: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """One streamed piece: chat chunks carry `delta` (the role on the first; tool-call
        fragments from `CallFragments`), completion chunks `text`; the last one carries the
        finish reason. A first piece that is only calls has content null, as OpenAI's."""
        choice: dict[str, Any] = {"index": 0, "finish_reason": finish, "logprobs": None}
        if self.chat:
            if first:
                choice["delta"] = {"role": "assistant", "content": text if text or not calls else None}
            else:
                choice["delta"] = {"content": text} if text else {}
            if calls:
                choice["delta"]["tool_calls"] = calls
        else:
            choice["text"] = text
        return {**self._head(chunk=True), "choices": [choice], "usage": None}

    def usage_chunk(self, value: Usage | None) -> dict[str, Any]:
        """The final chunk `stream_options.include_usage` asks for: no choices, the usage."""
        return {**self._head(chunk=True), "choices": [], "usage": usage(value)}


@dataclass(slots=True)
class CallFragments:
    """A stream's tool-call pieces in OpenAI's `delta.tool_calls` shape: a call's first fragment
    carries its `index`, `id`, `type` and name, later ones only argument text (OpenAI's clients
    concatenate every string they are sent, so nothing is repeated)."""

    opened: set[int] = field(default_factory=set)
    named: set[int] = field(default_factory=set)

    def of(self, deltas: Sequence[ToolCallDelta]) -> list[dict[str, Any]]:
        pieces = []
        for delta in deltas:
            piece: dict[str, Any] = {"index": delta.index}
            function: dict[str, Any] = {}
            if delta.index not in self.opened:
                self.opened.add(delta.index)
                piece.update(id=delta.id or f"call_{delta.index}", type="function")  # as `assemble` names it
            if delta.name and delta.index not in self.named:
                self.named.add(delta.index)
                function["name"] = delta.name
            function["arguments"] = delta.arguments
            pieces.append({**piece, "function": function})
        return pieces


def sse(data: dict[str, Any] | str) -> bytes:
    """One server-sent event (`data: ...` and a blank line)."""
    return b"data: " + (data.encode() if isinstance(data, str) else json_bytes(data)) + b"\n\n"


DONE = sse("[DONE]")


def model_object(model_id: str, owned_by: str, **extra: Any) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 0, "owned_by": owned_by, **extra}


def model_list(models: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"object": "list", "data": list(models)}


def embedding_list(vectors: Sequence[Sequence[float]], *, model: str, tokens: int, encoding: str) -> dict[str, Any]:
    def encoded(vector: Sequence[float]) -> Any:
        if encoding == "base64":  # little-endian float32, as OpenAI sends it
            return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
        return [float(x) for x in vector]

    return {
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": encoded(v)} for i, v in enumerate(vectors)],
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
