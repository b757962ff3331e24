"""A Session's tool calling. `chat`/`achat` with `tools=` return the model's calls for the
application to run (the turn keeps them; `add_tool_result` answers each, and `chat()` with no
message lets the model go on). `act`, `aact`, `act_stream`, `aact_stream` run `MicroLLM.act`'s
loop on the conversation (its history, system prompt and cache) and keep every turn in its
history: the user's message, each assistant turn with its calls, each tool result, the final
answer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any, overload

from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.generation import Completion, GenerationOptions, GenerationRequest

if TYPE_CHECKING:
    from chi_llm.application.chat_session import ChatSession
    from chi_llm.application.tools import ActResult, LoopEvent, ToolLike, ToolLoop
    from chi_llm.application.tools.drive import Hooks
    from chi_llm.entrypoints.facade import MicroLLM

LOOP_SETTINGS = ("max_rounds", "before_call", "after_call", "tool_timeout", "tool_choice", "parallel_tool_calls")


class SessionTools:
    """Mixed into Session."""

    _llm: MicroLLM
    _chat: ChatSession

    # -- one call: the model's calls for the application to run ----------------------------------
    def _turn_options(
        self, tools: Iterable[ToolLike] | None, choice: str, parallel: bool | None, options: dict[str, Any]
    ) -> GenerationOptions:
        given = self._llm._options(options)
        offered = self._llm._offered(tools, choice, parallel)
        return given if offered is None else replace(given, tools=offered)

    @overload
    def chat(self, message: str | None = None, *, tools: None = None, **options: Any) -> str: ...

    @overload
    def chat(
        self,
        message: str | None = None,
        *,
        tools: Iterable[ToolLike],
        tool_choice: str = "auto",
        parallel_tool_calls: bool | None = None,
        **options: Any,
    ) -> Completion: ...

    def chat(
        self,
        message: str | None = None,
        *,
        tools: Iterable[ToolLike] | None = None,
        tool_choice: str = "auto",
        parallel_tool_calls: bool | None = None,
        **options: Any,
    ) -> str | Completion:
        """One turn: `message` (None: go on after tool results). Without `tools`: the reply's
        text. With `tools`: the Completion, whose `tool_calls` the history keeps with the
        assistant's turn; run them, give each result with `add_tool_result`, then `chat()`.
        InvalidRequest while calls wait for results."""
        settings = self._turn_options(tools, tool_choice, parallel_tool_calls, options)
        completion = self._llm._record(self._chat.send(message, settings))
        return completion if tools is not None else completion.text

    @overload
    async def achat(self, message: str | None = None, *, tools: None = None, **options: Any) -> str: ...

    @overload
    async def achat(
        self,
        message: str | None = None,
        *,
        tools: Iterable[ToolLike],
        tool_choice: str = "auto",
        parallel_tool_calls: bool | None = None,
        **options: Any,
    ) -> Completion: ...

    async def achat(
        self,
        message: str | None = None,
        *,
        tools: Iterable[ToolLike] | None = None,
        tool_choice: str = "auto",
        parallel_tool_calls: bool | None = None,
        **options: Any,
    ) -> str | Completion:
        """`chat` in asyncio."""
        settings = self._turn_options(tools, tool_choice, parallel_tool_calls, options)
        completion = self._llm._record(await self._chat.asend(message, settings))
        return completion if tools is not None else completion.text

    def add_tool_result(self, call_id: str, content: Any, *, is_error: bool = False) -> None:
        """Answer the model's call `call_id` (from the last `chat` with tools): `content` as
        text (a str as is, anything else as JSON, as the tool loop sends it); `is_error` when
        the call failed or was refused. InvalidRequest when no such call waits."""
        from chi_llm.application.tools.result_text import result_text

        self._chat.add_tool_result(call_id, result_text(content), is_error=bool(is_error))

    # -- the tool loop ---------------------------------------------------------------------------

    def _session_loop(
        self, message: str, tools: Iterable[ToolLike], given: dict[str, Any]
    ) -> tuple[GenerationRequest, ToolLoop, Hooks]:
        from chi_llm.entrypoints.facade_tools import DEFAULT_TOOL_TIMEOUT

        if "history" in given or "system" in given:
            raise InvalidRequest("a session's act takes its history and system prompt from the session")
        settings = {
            "max_rounds": 8,
            "before_call": None,
            "after_call": None,
            "tool_timeout": DEFAULT_TOOL_TIMEOUT,
            "tool_choice": "auto",
            "parallel_tool_calls": None,
        }
        settings.update({key: given.pop(key) for key in LOOP_SETTINGS if key in given})
        request = self._chat.request(message, self._llm._options(given))
        return (request, *self._llm._loop_for(request, tools, settings))

    def _keep(self, request: GenerationRequest, event: LoopEvent) -> None:
        from chi_llm.application.tools import Finished

        if isinstance(event, Finished):  # from the user's message on (the request's last)
            self._chat.history.extend(event.result.messages[len(request.messages) - 1 :])

    def act_stream(self, message: str, tools: Iterable[ToolLike], **settings: Any) -> Iterator[LoopEvent]:
        """`MicroLLM.act_stream` on this conversation (its arguments but history and system);
        the turns join the history when the loop finishes."""
        from chi_llm.entrypoints.tool_sources import with_sources

        def start(given: Iterable[ToolLike]) -> Iterator[LoopEvent]:
            request, loop, hooks = self._session_loop(message, given, settings)
            return self._events(request, self._llm._events(loop, hooks))

        return with_sources(tools, start)

    def _events(self, request: GenerationRequest, events: Iterator[LoopEvent]) -> Iterator[LoopEvent]:
        for event in events:
            self._keep(request, event)
            yield event

    async def _aevents(self, request: GenerationRequest, events: AsyncIterator[LoopEvent]) -> AsyncIterator[LoopEvent]:
        async for event in events:
            self._keep(request, event)
            yield event

    def aact_stream(self, message: str, tools: Iterable[ToolLike], **settings: Any) -> AsyncIterator[LoopEvent]:
        """`act_stream` in asyncio."""
        from chi_llm.entrypoints.tool_sources import awith_sources

        def start(given: Iterable[ToolLike]) -> AsyncIterator[LoopEvent]:
            request, loop, hooks = self._session_loop(message, given, settings)
            return self._aevents(request, self._llm._aevents(loop, hooks))

        return awith_sources(tools, start)

    def act(self, message: str, tools: Iterable[ToolLike], **settings: Any) -> ActResult:
        """`MicroLLM.act` on this conversation; its turns are kept in the history."""
        from chi_llm.application.tools import outcome

        return outcome(self.act_stream(message, tools, **settings))

    async def aact(self, message: str, tools: Iterable[ToolLike], **settings: Any) -> ActResult:
        """`act` in asyncio."""
        from chi_llm.application.tools import aoutcome

        return await aoutcome(self.aact_stream(message, tools, **settings))
