"""`generate/start` with `tools`: the library's tool loop (MicroLLM.act_stream), its events sent
as notifications tied to the request. In order, per call the model asks for:
`generate/tool_call` {id, call_id, name, arguments}; `generate/tool_approval` {id, approval_id,
call_id, name, arguments} unless the tool is always allowed (the client answers with
`generate/approve`, see approvals.py); then `generate/tool_result` {id, call_id, name, content,
is_error, status}. Text comes as `generate/delta` as without tools. The result adds `messages`:
the turns this answer added to the conversation (each round's assistant turn with its
tool_calls and the calls' results, then the final answer), for the client to send back as
history so the model sees its earlier calls."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from chi_llm.entrypoints.bridge.calls import Call
from chi_llm.entrypoints.bridge.protocol import INVALID_PARAMS, ProtocolError

if TYPE_CHECKING:
    from chi_llm.domain.generation import Completion
    from chi_llm.domain.tools import ToolCall
    from chi_llm.entrypoints.facade import MicroLLM

Asked = tuple[str, list[Mapping[str, Any]], str | None]  # the message, the history, the system prompt


def _max_rounds(call: Call) -> int:
    rounds = call.params.get("max_rounds", 8)
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
        raise ProtocolError(INVALID_PARAMS, "params.max_rounds must be a whole number of at least 1", call.id)
    return rounds


def act(
    call: Call, llm: MicroLLM, asked: Asked, names: Sequence[str], options: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], Completion] | None:
    """Run the loop: the turns it added and the final completion, or None when cancelled."""
    from chi_llm.application.tools import CallResult, Finished, RoundDone, TextDelta
    from chi_llm.domain.generation import close_stream
    from chi_llm.domain.messages import Message
    from chi_llm.entrypoints.tool_history import entry

    message, history, system = asked
    rounds = _max_rounds(call)
    tools = call.tools.chosen(names)
    announced: set[str] = set()

    def announce(tool_call: ToolCall) -> None:
        if tool_call.id not in announced:
            announced.add(tool_call.id)
            shown = {"call_id": tool_call.id, "name": tool_call.name, "arguments": dict(tool_call.arguments)}
            call.notify("generate/tool_call", shown)

    def before_call(tool_call: ToolCall) -> bool | str:
        announce(tool_call)
        return call.tools.approvals.ask(
            tool_call, lambda asking: call.notify("generate/tool_approval", asking), call.cancelled
        )

    events = llm.act_stream(
        message, tools, history=history, system=system, before_call=before_call, max_rounds=rounds, **options
    )
    added: list[dict[str, Any]] = []
    try:
        for event in events:
            if isinstance(event, TextDelta):
                call.notify("generate/delta", {"text": event.text})
            elif isinstance(event, CallResult):
                announce(event.call)
                result = {"content": event.content, "is_error": event.is_error, "status": event.status}
                call.notify("generate/tool_result", {"call_id": event.call.id, "name": event.call.name, **result})
            elif isinstance(event, RoundDone):
                turn = Message(role="assistant", content=event.completion.text, tool_calls=event.completion.tool_calls)
                added.extend(entry(each) for each in (turn, *(r.message() for r in event.results)))
            elif isinstance(event, Finished):
                added.append(entry(Message(role="assistant", content=event.result.text)))
                return None if call.cancelled.is_set() else (added, event.result.completion)
            if call.cancelled.is_set():
                return None
    finally:
        close_stream(events)
    return None
