"""The tool loop's logic, once, with no I/O: which request each round sends, which of the
model's calls may run, what goes back to the model, and when the loop ends. The sync and async
drivers (tools.drive) only stream, ask the hooks and run the tools."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import count
from typing import Any

from chi_llm.application.tools.approval import refusal
from chi_llm.application.tools.events import ActResult, CallResult, CallStatus, Finished, RoundDone, TextDelta
from chi_llm.application.tools.lenient_calls import lenient_collect
from chi_llm.application.tools.result_text import error_text, result_text
from chi_llm.application.tools.toolbox import Toolbox
from chi_llm.domain.errors import InvalidRequest, InvalidToolCall, ToolLoopLimit
from chi_llm.domain.generation import Chunk, Completion, GenerationRequest
from chi_llm.domain.messages import Message
from chi_llm.domain.tools import ToolCall


@dataclass(frozen=True, slots=True, kw_only=True)
class Checked:
    """A call the model asked for: its converted `arguments` when it may be asked about and run,
    else `result` (already decided: an invalid call's error)."""

    call: ToolCall
    arguments: dict[str, Any] | None = None
    result: CallResult | None = None


class ToolLoop:
    """One run of the loop over `request` (its messages, options with the toolbox's tools)."""

    def __init__(self, request: GenerationRequest, toolbox: Toolbox, *, max_rounds: int) -> None:
        if isinstance(max_rounds, bool) or not isinstance(max_rounds, int) or max_rounds < 1:
            raise InvalidRequest(f"max_rounds must be a whole number of at least 1, got {max_rounds!r}")
        unrunnable = [t.name for t in toolbox.tools.tools if t.name not in toolbox.runners]
        if unrunnable:
            raise InvalidRequest(
                f"the tool loop runs the calls, but tool(s) {', '.join(unrunnable)} have no function to run; "
                "give functions, or use chat(..., tools=...) and run the calls yourself"
            )
        self.toolbox = toolbox
        self.max_rounds = max_rounds
        self.first = replace(request, options=replace(request.options, tools=toolbox.tools))
        self.messages: list[Message] = list(request.messages)
        self.round = 0
        self.results: list[CallResult] = []
        self._bad_last: set[str] = set()  # tools the model called wrongly in the previous round
        self._unreadable: dict[str, str] = {}  # call id -> why its arguments could not be read

    def request(self) -> GenerationRequest:
        """The next round's request. After a round with calls, a `required` or named tool_choice
        becomes `auto` (else the model could never answer)."""
        self.round += 1
        options = self.first.options
        if self.round > 1 and options.tools is not None and options.tools.choice not in ("auto", "none"):
            options = replace(options, tools=replace(options.tools, choice="auto"))
        return replace(self.first, messages=tuple(self.messages), options=options)

    def delta(self, text: str) -> TextDelta:
        return TextDelta(round=self.round, text=text)

    def answered(self, chunks: Sequence[Chunk], model: str | None = None) -> Completion:
        """The round's completion (a call whose arguments are not JSON kept, for its error to go
        back to the model), each call under an id the conversation has not used yet."""
        return self._unique(lenient_collect(chunks, model, self._unreadable))

    def _unique(self, completion: Completion) -> Completion:
        """Calls whose id an earlier turn (or call) used get one of their own: providers without
        ids (Ollama) number each answer's calls from 0, and an approval, a result or a screen
        keyed by id must never take a new call for an old one."""
        used = {call.id for m in self.messages for call in m.tool_calls}
        calls = []
        for index, call in enumerate(completion.tool_calls):
            if call.id in used:
                fresh = next(
                    f"{call.id}_{self.round}_{n}" for n in count(index) if f"{call.id}_{self.round}_{n}" not in used
                )
                if call.id in self._unreadable:
                    self._unreadable[fresh] = self._unreadable.pop(call.id)
                call = replace(call, id=fresh)
            used.add(call.id)
            calls.append(call)
        return replace(completion, tool_calls=tuple(calls))

    def check(self, completion: Completion) -> list[Checked]:
        """Each call, its arguments converted for the tool, or its error result for the model.
        ToolLoopLimit when the last of `max_rounds` rounds asks for calls (none of them is run:
        no round is left to give the model their results); InvalidToolCall when the model calls
        a tool wrongly in two rounds in a row."""
        if self.round >= self.max_rounds:
            raise ToolLoopLimit(
                f"the model still asked for tool calls in round {self.round} (max_rounds={self.max_rounds}); "
                "raise max_rounds, or make the task or the tools' descriptions clearer",
                rounds=self.round,
            )
        checked: list[Checked] = []
        bad: dict[str, str] = {}
        for call in completion.tool_calls:
            problem = self._unreadable.pop(call.id, None)
            arguments = None
            if problem is None:
                try:
                    arguments = self.toolbox.arguments(call)
                except InvalidRequest as error:
                    problem = error.message
            if problem is None:
                checked.append(Checked(call=call, arguments=arguments))
                continue
            bad.setdefault(call.name, problem)
            checked.append(Checked(call=call, result=self._result(call, problem, "invalid")))
        again = sorted(set(bad) & self._bad_last)
        if again:
            raise InvalidToolCall(
                f"the model called tool {again[0]!r} wrongly twice in a row: {bad[again[0]]}. "
                "Describe the tool more clearly, or use a model that calls tools better",
                backend="tools",
            )
        self._bad_last = set(bad)
        return checked

    def verdict(self, call: ToolCall, said: object) -> CallResult | None:
        """before_call's answer: None when the call may run, else its refusal result."""
        reason = refusal(call, said)
        return None if reason is None else self._result(call, reason, "refused")

    def returned(self, call: ToolCall, value: Any) -> CallResult:
        return CallResult(round=self.round, call=call, content=result_text(value), value=value)

    def raised(self, call: ToolCall, error: BaseException) -> CallResult:
        return self._result(call, error_text(call.name, error), "error")

    def timed_out(self, call: ToolCall, seconds: float) -> CallResult:
        return self._result(
            call, f"tool {call.name!r} did not finish within {seconds:g} s (per-call timeout); no result", "timeout"
        )

    def _result(self, call: ToolCall, content: str, status: CallStatus) -> CallResult:
        return CallResult(round=self.round, call=call, content=content, status=status)

    def round_done(self, completion: Completion, results: Sequence[CallResult]) -> RoundDone:
        """Record the assistant's turn and the calls' results (in the order the model asked)."""
        order = {call.id: index for index, call in enumerate(completion.tool_calls)}
        ordered = tuple(sorted(results, key=lambda result: order[result.call.id]))
        self.messages.append(Message(role="assistant", content=completion.text, tool_calls=completion.tool_calls))
        self.messages.extend(result.message() for result in ordered)
        self.results.extend(ordered)
        return RoundDone(round=self.round, completion=completion, results=ordered)

    def finished(self, completion: Completion) -> Finished:
        self.messages.append(Message(role="assistant", content=completion.text))
        return Finished(
            result=ActResult(
                text=completion.text,
                completion=completion,
                messages=tuple(self.messages),
                calls=tuple(self.results),
                rounds=self.round,
            )
        )
