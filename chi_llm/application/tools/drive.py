"""The two drivers of the tool loop (the logic is ToolLoop's): each round streams the model's
answer (text deltas passed on as they come), asks `before_call` about each valid call, runs the
allowed ones, shows each result to `after_call`, and goes on until an answer without calls.

Sync: calls run in order. Async: the allowed calls of a round run concurrently (gathered);
hooks may be async functions there.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from chi_llm.application.generation import GenerationService
from chi_llm.application.tools.events import ActResult, CallResult, CallStarted, Finished, LoopEvent
from chi_llm.application.tools.execution import Outcome, arun_call, run_call
from chi_llm.application.tools.loop_state import Checked, ToolLoop
from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.generation import Chunk, Completion, aclose_stream, close_stream
from chi_llm.domain.tools import MAX_TOOL_TIMEOUT, ToolCall


@dataclass(frozen=True, slots=True, kw_only=True)
class Hooks:
    """The application's say over the calls.

    Attributes:
        before_call: called with each valid call before it runs; True or None allows it, False
            refuses it, a text refuses it saying why (the model gets an error result either way).
            It may ask the user (approval). Omitted: every call is allowed.
        after_call: called with each call and its CallResult (refused and invalid calls too).
        timeout: seconds a call may take (None: no limit); past it the model gets an error result.
    """

    before_call: Callable[[ToolCall], Any] | None = None
    after_call: Callable[[ToolCall, CallResult], Any] | None = None
    timeout: float | None = 60.0

    def __post_init__(self) -> None:
        limit = self.timeout
        if limit is not None and not (isinstance(limit, int | float) and 0 < limit <= MAX_TOOL_TIMEOUT):
            raise InvalidRequest(
                f"tool timeout must be seconds above 0 and at most {MAX_TOOL_TIMEOUT:g} (a day), or None; got {limit!r}"
            )


def _result(loop: ToolLoop, call: ToolCall, outcome: Outcome, timeout: float | None) -> CallResult:
    if outcome.timed_out:
        return loop.timed_out(call, timeout or 0.0)
    if outcome.error is not None:
        return loop.raised(call, outcome.error)
    return loop.returned(call, outcome.value)


def run_loop(service: GenerationService, loop: ToolLoop, hooks: Hooks) -> Iterator[LoopEvent]:
    """The loop's events, sync; raises what ToolLoop raises (ToolLoopLimit, InvalidToolCall)."""
    while True:
        request = loop.request()
        chunks = service.stream(request)
        seen: list[Chunk] = []
        try:
            for chunk in chunks:
                seen.append(chunk)
                if chunk.text:
                    yield loop.delta(chunk.text)
        finally:
            close_stream(chunks)
        completion = loop.answered(seen, request.model)
        if not completion.tool_calls:
            yield loop.finished(completion)
            return
        results: list[CallResult] = []
        for checked in loop.check(completion):
            call = checked.call
            result = checked.result or loop.verdict(call, hooks.before_call(call) if hooks.before_call else None)
            if result is None:
                yield CallStarted(round=loop.round, call=call)
                outcome = run_call(loop.toolbox.runner(call.name), checked.arguments or {}, hooks.timeout)
                result = _result(loop, call, outcome, hooks.timeout)
            if hooks.after_call:
                hooks.after_call(call, result)
            results.append(result)
            yield result
        yield loop.round_done(completion, results)


async def _maybe(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def _decide(loop: ToolLoop, hooks: Hooks, checked: Checked) -> CallResult | None:
    if checked.result is not None:
        return checked.result
    said = await _maybe(hooks.before_call(checked.call)) if hooks.before_call else None
    return loop.verdict(checked.call, said)


async def _acalls(loop: ToolLoop, hooks: Hooks, completion: Completion) -> AsyncIterator[LoopEvent]:
    """One round's calls: refused and invalid ones answered at once, the allowed ones gathered."""
    decided: list[CallResult] = []
    allowed: list[Checked] = []
    for checked in loop.check(completion):
        result = await _decide(loop, hooks, checked)
        if result is None:
            allowed.append(checked)
            continue
        decided.append(result)
        if hooks.after_call:
            await _maybe(hooks.after_call(checked.call, result))
        yield result
    for checked in allowed:
        yield CallStarted(round=loop.round, call=checked.call)
    outcomes = await asyncio.gather(
        *(arun_call(loop.toolbox.runner(c.call.name), c.arguments or {}, hooks.timeout) for c in allowed)
    )
    for checked, outcome in zip(allowed, outcomes, strict=True):
        result = _result(loop, checked.call, outcome, hooks.timeout)
        if hooks.after_call:
            await _maybe(hooks.after_call(checked.call, result))
        decided.append(result)
        yield result
    yield loop.round_done(completion, decided)


async def arun_loop(service: GenerationService, loop: ToolLoop, hooks: Hooks) -> AsyncIterator[LoopEvent]:
    """The loop's events, in asyncio: a round's allowed calls run concurrently."""
    while True:
        request = loop.request()
        chunks = service.astream(request)
        seen: list[Chunk] = []
        try:
            async for chunk in chunks:
                seen.append(chunk)
                if chunk.text:
                    yield loop.delta(chunk.text)
        finally:
            await aclose_stream(chunks)
        completion = loop.answered(seen, request.model)
        if not completion.tool_calls:
            yield loop.finished(completion)
            return
        async for event in _acalls(loop, hooks, completion):
            yield event


def outcome(events: Iterable[LoopEvent]) -> ActResult:
    """Run the loop's events through to its result."""
    for event in events:
        if isinstance(event, Finished):
            return event.result
    raise InvalidRequest("the tool loop ended without an answer")  # a driver always finishes or raises


async def aoutcome(events: AsyncIterator[LoopEvent]) -> ActResult:
    """`outcome` for the async driver."""
    async for event in events:
        if isinstance(event, Finished):
            return event.result
    raise InvalidRequest("the tool loop ended without an answer")  # a driver always finishes or raises
