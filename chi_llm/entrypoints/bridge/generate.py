"""`generate/start`: a generation streamed as `generate/delta` notifications {id, text}, then the
final result {text, finish_reason, usage, model, threads, provider (who answered), fallback (who
failed before it)}; `$/cancelRequest` stops decoding within a token."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chi_llm.entrypoints.bridge.calls import Call
from chi_llm.entrypoints.bridge.protocol import INVALID_PARAMS, ProtocolError

OPTIONS = ("max_tokens", "temperature", "top_p", "seed", "stop")


def _messages(call: Call) -> tuple[str, list[Mapping[str, str]]]:
    """The last user message and the history before it, from `messages` or `prompt`."""
    prompt = call.text("prompt")
    if prompt is not None:
        return prompt, []
    messages = call.params.get("messages")
    if not isinstance(messages, list) or not messages or not all(_is_message(m) for m in messages):
        raise ProtocolError(INVALID_PARAMS, "give params.prompt or params.messages [{role, content}]", call.id)
    last = messages[-1]
    if last["role"] != "user":
        raise ProtocolError(INVALID_PARAMS, "the last message must be the user's", call.id)
    return last["content"], messages[:-1]


def _is_message(message: Any) -> bool:
    return (
        isinstance(message, dict)
        and message.get("role") in ("system", "user", "assistant")
        and isinstance(message.get("content"), str)
    )


def generate_start(call: Call) -> Any:
    from chi_llm.entrypoints.facade import MicroLLM

    message, history = _messages(call)
    options = {k: call.params[k] for k in OPTIONS if call.params.get(k) is not None}
    llm = MicroLLM(model=call.text("model"), provider=call.params.get("provider"))
    system = call.text("system")
    stream = llm.stream_chat(message, history or None, system=system, **options)
    try:
        for piece in stream:
            call.notify("generate/delta", {"text": piece})
            if call.cancelled.is_set():
                break
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    done = llm.last_completion
    if done is None or call.cancelled.is_set():
        return {"cancelled": True}
    answer = {
        "text": done.text,
        "finish_reason": done.finish_reason,
        "usage": done.usage,
        "model": llm.model,
        "threads": done.timings.threads,  # a local model's CPU threads (fewer while the CPU is busy), else null
    }
    return {**answer, "provider": llm.answered_by, "fallback": llm.fell_back_from}
