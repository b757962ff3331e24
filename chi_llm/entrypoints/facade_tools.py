"""MicroLLM's tool calling: `chat`/`achat` with `tools=` (one call, the model's calls returned
for the application to run), and the tool loop `act`/`aact`/`act_stream`/`aact_stream` that runs
them (chi_llm.application.tools.drive)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, overload

from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.generation import Completion, GenerationOptions, GenerationRequest
from chi_llm.domain.messages import Message
from chi_llm.domain.tools import ToolCall, ToolSet
from chi_llm.entrypoints.tool_history import History, turns

if TYPE_CHECKING:
    from chi_llm.application.generation import GenerationService
    from chi_llm.application.tools import ActResult, CallResult, LoopEvent, Toolbox, ToolLike, ToolLoop
    from chi_llm.application.tools.drive import Hooks
    from chi_llm.entrypoints.container import Container

DEFAULT_TOOL_TIMEOUT = 60.0  # seconds a tool call may take in the loop before its result is an error


class ToolCalls:
    """Mixed into MicroLLM, whose container and generation service it uses."""

    _container: Container
    _service: GenerationService
    last_completion: Completion | None

    if TYPE_CHECKING:  # MicroLLM's own

        def _options(self, options: Mapping[str, Any]) -> GenerationOptions: ...

        def _chat(
            self,
            message: str,
            history: Iterable[Mapping[str, str]] | None,
            system: str | None,
            options: Mapping[str, Any],
        ) -> GenerationRequest: ...

        def _record(self, completion: Completion) -> Completion: ...

        def run(self, request: GenerationRequest) -> Completion: ...

        async def arun(self, request: GenerationRequest) -> Completion: ...

    # -- one call --------------------------------------------------------------------------------
    def _chat_with(
        self,
        message: str,
        history: Any,
        system: str | None,
        tools: Iterable[ToolLike] | None,
        choice: str,
        parallel: bool | None,
        options: Mapping[str, Any],
    ) -> GenerationRequest:
        offered = self._offered(tools, choice, parallel)
        if offered is None:
            return self._chat(message, history, system, options)
        request = self._service.chat_request(
            [*turns(history), Message(role="user", content=message)], self._options(options), system=system
        )
        return replace(request, options=replace(request.options, tools=offered))

    def _offered(self, tools: Iterable[ToolLike] | None, choice: str, parallel: bool | None) -> ToolSet | None:
        """What a one-call request offers: the tools' ToolSet, or None without tools (then
        `tool_choice` and `parallel_tool_calls` must be left alone)."""
        if tools is None:
            if choice != "auto" or parallel is not None:
                raise InvalidRequest("tool_choice and parallel_tool_calls go with tools=[...]")
            return None
        return self._toolbox(tools, choice, parallel).tools

    @overload
    def chat(
        self,
        message: str,
        history: History | None = None,
        system: str | None = None,
        *,
        tools: None = None,
        **options: Any,
    ) -> str: ...

    @overload
    def chat(
        self,
        message: str,
        history: History | None = None,
        system: str | None = None,
        *,
        tools: Iterable[ToolLike],
        tool_choice: str = "auto",
        parallel_tool_calls: bool | None = None,
        **options: Any,
    ) -> Completion: ...

    def chat(
        self,
        message: str,
        history: History | None = None,
        system: str | None = None,
        *,
        tools: Iterable[ToolLike] | None = None,
        tool_choice: str = "auto",
        parallel_tool_calls: bool | None = None,
        **options: Any,
    ) -> str | Completion:
        """Answer `message` after `history`. Without `tools`: the text. With `tools` (functions,
        async functions, `tool(...)` values, Tool objects): the Completion, whose `tool_calls`
        are the calls the model asked for (run them, then send the assistant's turn and a
        `Message(role="tool", tool_call_id=..., content=...)` per call in `history`; or let
        `act` run them). `tool_choice`: auto, none, required or a tool's name."""
        request = self._chat_with(message, history, system, tools, tool_choice, parallel_tool_calls, options)
        completion = self.run(request)
        return completion if tools is not None else completion.text

    @overload
    async def achat(
        self,
        message: str,
        history: History | None = None,
        system: str | None = None,
        *,
        tools: None = None,
        **options: Any,
    ) -> str: ...

    @overload
    async def achat(
        self,
        message: str,
        history: History | None = None,
        system: str | None = None,
        *,
        tools: Iterable[ToolLike],
        tool_choice: str = "auto",
        parallel_tool_calls: bool | None = None,
        **options: Any,
    ) -> Completion: ...

    async def achat(
        self,
        message: str,
        history: History | None = None,
        system: str | None = None,
        *,
        tools: Iterable[ToolLike] | None = None,
        tool_choice: str = "auto",
        parallel_tool_calls: bool | None = None,
        **options: Any,
    ) -> str | Completion:
        """`chat` in asyncio."""
        request = self._chat_with(message, history, system, tools, tool_choice, parallel_tool_calls, options)
        completion = await self.arun(request)
        return completion if tools is not None else completion.text

    # -- the tool loop ---------------------------------------------------------------------------
    def _toolbox(self, tools: Iterable[ToolLike], choice: str, parallel: bool | None) -> Toolbox:
        from chi_llm.application.tools import toolbox

        if isinstance(tools, str | bytes) or not isinstance(tools, Iterable):
            raise InvalidRequest(f"tools= takes a list of functions or tools, got {tools!r}")
        return toolbox(tools, self._container.schema_validator(), choice=choice, parallel=parallel)

    def _prepare(
        self,
        prompt: str | History,
        tools: Iterable[ToolLike],
        settings: Mapping[str, Any],
        options: Mapping[str, Any],
    ) -> tuple[ToolLoop, Hooks]:
        """The loop and its hooks, made now so that bad arguments are refused at the call."""
        history = settings["history"]
        asked = [Message(role="user", content=prompt)] if isinstance(prompt, str) else turns(prompt)
        if not asked:
            raise InvalidRequest("act needs a prompt or at least one message")
        request = self._service.chat_request(
            [*turns(history), *asked], self._options(options), system=settings["system"]
        )
        return self._loop_for(request, tools, settings)

    def _loop_for(
        self, request: GenerationRequest, tools: Iterable[ToolLike], settings: Mapping[str, Any]
    ) -> tuple[ToolLoop, Hooks]:
        from chi_llm.application.tools import Hooks, ToolLoop

        box = self._toolbox(tools, settings["tool_choice"], settings["parallel_tool_calls"])
        hooks = Hooks(
            before_call=settings["before_call"], after_call=settings["after_call"], timeout=settings["tool_timeout"]
        )
        return ToolLoop(request, box, max_rounds=settings["max_rounds"]), hooks

    def _finish(self, event: LoopEvent) -> None:
        from chi_llm.application.tools import Finished

        if isinstance(event, Finished):
            self._record(event.result.completion)

    def _events(self, loop: ToolLoop, hooks: Hooks) -> Iterator[LoopEvent]:
        from chi_llm.application.tools import run_loop

        for event in run_loop(self._service, loop, hooks):
            self._finish(event)
            yield event

    async def _aevents(self, loop: ToolLoop, hooks: Hooks) -> AsyncIterator[LoopEvent]:
        from chi_llm.application.tools import arun_loop

        async for event in arun_loop(self._service, loop, hooks):
            self._finish(event)
            yield event

    def act_stream(
        self,
        prompt: str | History,
        tools: Iterable[ToolLike],
        *,
        max_rounds: int = 8,
        before_call: Callable[[ToolCall], Any] | None = None,
        after_call: Callable[[ToolCall, CallResult], Any] | None = None,
        tool_timeout: float | None = DEFAULT_TOOL_TIMEOUT,
        history: History | None = None,
        system: str | None = None,
        tool_choice: str = "auto",
        parallel_tool_calls: bool | None = None,
        **options: Any,
    ) -> Iterator[LoopEvent]:
        """`act`'s events as they happen: TextDelta, CallStarted, CallResult, RoundDone per
        round with calls, and Finished (with the ActResult) last. An MCP toolbox in `tools` that
        is not open is opened for this loop and closed when it ends."""
        from chi_llm.entrypoints.tool_sources import with_sources

        settings = {k: v for k, v in locals().items() if k not in ("self", "prompt", "tools", "options")}
        return with_sources(tools, lambda given: self._events(*self._prepare(prompt, given, settings, options)))

    def act(self, prompt: str | History, tools: Iterable[ToolLike], **settings: Any) -> ActResult:
        """Let the model use `tools` until it answers: each round its calls run (through
        `before_call`, which may refuse or ask, and `after_call`, which sees each result), their
        results go back to it, and the next round begins. Returns the ActResult (final `text`,
        `completion`, every `messages`, the `calls`' results, `rounds`). A tool that raises, is
        refused or takes longer than `tool_timeout` seconds gives the model an error result;
        ToolLoopLimit when round `max_rounds` still asks for calls, InvalidToolCall when the model
        calls a tool wrongly (unknown, or arguments off its schema) in two rounds in a row (once,
        the error goes back to it). With a `tool_timeout` a sync tool runs in a worker thread
        (left to finish on timeout, its result ignored); `tool_timeout=None` runs it in this
        thread with no limit. A tool's result goes back as text: a str as is, else JSON. Takes
        `act_stream`'s arguments."""
        from chi_llm.application.tools import outcome

        return outcome(self.act_stream(prompt, tools, **settings))

    def aact_stream(
        self,
        prompt: str | History,
        tools: Iterable[ToolLike],
        *,
        max_rounds: int = 8,
        before_call: Callable[[ToolCall], Any] | None = None,
        after_call: Callable[[ToolCall, CallResult], Any] | None = None,
        tool_timeout: float | None = DEFAULT_TOOL_TIMEOUT,
        history: History | None = None,
        system: str | None = None,
        tool_choice: str = "auto",
        parallel_tool_calls: bool | None = None,
        **options: Any,
    ) -> AsyncIterator[LoopEvent]:
        """`act_stream` in asyncio: a round's calls run concurrently; the hooks may be async."""
        from chi_llm.entrypoints.tool_sources import awith_sources

        settings = {k: v for k, v in locals().items() if k not in ("self", "prompt", "tools", "options")}
        return awith_sources(tools, lambda given: self._aevents(*self._prepare(prompt, given, settings, options)))

    async def aact(self, prompt: str | History, tools: Iterable[ToolLike], **settings: Any) -> ActResult:
        """`act` in asyncio: a round's calls run concurrently; the hooks may be async."""
        from chi_llm.application.tools import aoutcome

        return await aoutcome(self.aact_stream(prompt, tools, **settings))
