"""A round's completion from its stream, keeping a call whose arguments are not JSON (with no
arguments, and the reason) so that the error goes back to the model instead of ending the loop."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.generation import Chunk, Completion, collect
from chi_llm.domain.tools import ToolCall, ToolCallDelta, assemble


def _call(deltas: list[ToolCallDelta], index: int, unreadable: dict[str, str]) -> ToolCall:
    mine = [delta for delta in deltas if delta.index == index]
    try:
        return assemble(mine)[0]
    except InvalidRequest as error:
        name = next((d.name for d in mine if d.name), None)
        if name is None:  # a stream that never names its tool is broken, not the model's slip
            raise
        call_id = next((d.id for d in mine if d.id), None) or f"call_{index}"
        unreadable[call_id] = f"{error.message}; call it again with a JSON object as its arguments"
        return ToolCall(id=call_id, name=name, arguments={}, raw="".join(d.arguments for d in mine))


def lenient_collect(chunks: Sequence[Chunk], model: str | None, unreadable: dict[str, str]) -> Completion:
    """`collect`, but a call with unreadable arguments is kept; `unreadable` gets call id → why."""
    deltas = [delta for chunk in chunks for delta in chunk.tool_calls]
    whole = collect([replace(chunk, tool_calls=()) for chunk in chunks], model=model)
    indexes = sorted({delta.index for delta in deltas})
    return replace(whole, tool_calls=tuple(_call(deltas, index, unreadable) for index in indexes))
