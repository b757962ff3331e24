"""`generate/start`: a generation streamed as `generate/delta` notifications {id, text}, then the
final result {text, finish_reason, usage, model, threads, provider (who answered), fallback (who
failed before it)}; `$/cancelRequest` stops decoding within a token. With `tools` (names of the
bridge's tools, `tools/list`) the model may call them: see generate_tools."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chi_llm.entrypoints.bridge.calls import Call
from chi_llm.entrypoints.bridge.protocol import INVALID_PARAMS, ProtocolError

if TYPE_CHECKING:
    from chi_llm.domain.generation import Completion
    from chi_llm.entrypoints.facade import MicroLLM

OPTIONS = ("max_tokens", "temperature", "top_p", "seed", "stop")
ROLES = ("system", "user", "assistant")
TOOL_ROLES = (*ROLES, "tool")  # with tools, the history holds the calls' results too


def _messages(call: Call, roles: tuple[str, ...] = ROLES) -> tuple[str, list[Mapping[str, Any]]]:
    """The last user message and the history before it, from `messages` or `prompt`."""
    prompt = call.text("prompt")
    if prompt is not None:
        return prompt, []
    messages = call.params.get("messages")
    if not isinstance(messages, list) or not messages or not all(_is_message(m, roles) for m in messages):
        raise ProtocolError(INVALID_PARAMS, "give params.prompt or params.messages [{role, content}]", call.id)
    last = messages[-1]
    if last["role"] != "user":
        raise ProtocolError(INVALID_PARAMS, "the last message must be the user's", call.id)
    return last["content"], messages[:-1]


def _is_message(message: Any, roles: tuple[str, ...]) -> bool:
    return isinstance(message, dict) and message.get("role") in roles and isinstance(message.get("content"), str)


def _tool_names(call: Call) -> list[str]:
    names = call.params.get("tools")
    if names is None:
        return []
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise ProtocolError(INVALID_PARAMS, "params.tools must be a list of tool names (tools/list)", call.id)
    return names


def generate_start(call: Call) -> Any:
    from chi_llm.entrypoints.facade import MicroLLM

    names = _tool_names(call)
    message, history = _messages(call, TOOL_ROLES if names else ROLES)
    options = {k: call.params[k] for k in OPTIONS if call.params.get(k) is not None}
    llm = MicroLLM(model=call.text("model"), provider=call.params.get("provider"))
    system = call.text("system")
    if names:
        from chi_llm.entrypoints.bridge.generate_tools import act

        acted = act(call, llm, (message, history, system), names, options)
        return {"cancelled": True} if acted is None else {**answer(llm, acted[1]), "messages": acted[0]}
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
    return answer(llm, done)


def answer(llm: MicroLLM, done: Completion) -> dict[str, Any]:
    """The result of a finished answer: its completion, the model, who answered."""
    result = {
        "text": done.text,
        "finish_reason": done.finish_reason,
        "usage": done.usage,
        "model": llm.model,
        "threads": done.timings.threads,  # a local model's CPU threads (fewer while the CPU is busy), else null
    }
    return {**result, "provider": llm.answered_by, "fallback": llm.fell_back_from}
