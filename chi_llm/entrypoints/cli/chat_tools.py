"""`chi-llm chat` with tools: the options, the approval asked before each call, and one turn run
through the session's tool loop (`Session.act_stream`, which keeps the calls and results in the
conversation's history)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click

from chi_llm.domain.generation import close_stream
from chi_llm.domain.tools import MAX_TOOL_TIMEOUT
from chi_llm.entrypoints.cli import output
from chi_llm.entrypoints.cli.tool_view import View, call_text, visible

if TYPE_CHECKING:
    from chi_llm.application.tools import LoopEvent, ToolLike
    from chi_llm.domain.tools import ToolCall

F = Callable[..., Any]
TOOL_KEYS = ("tool", "mcp", "yes", "max_rounds", "tool_timeout", "verbose", "as_json")
DECLINED = "the user declined to run it"
NO_TERMINAL = "there was no terminal to ask the user for approval, so it was not run"


def seconds(_ctx: click.Context, _param: click.Parameter, value: float) -> float:
    """A per-call timeout: seconds above 0, up to a day (no NaN, no infinity: a thread cannot
    wait that long)."""
    if not 0 < value <= MAX_TOOL_TIMEOUT:  # NaN fails every comparison
        raise click.BadParameter(f"give seconds above 0, up to {MAX_TOOL_TIMEOUT:g}; got {value!r}")
    return value


def tool_options(command: F) -> F:
    """The chat's tool options; the command receives them gathered as one `tool_options` dict."""

    def gather(*args: Any, **kwargs: Any) -> Any:
        return command(*args, tool_options={key: kwargs.pop(key) for key in TOOL_KEYS}, **kwargs)

    gather.__name__, gather.__doc__ = command.__name__, command.__doc__
    func: F = gather
    for option in reversed(
        [
            click.option(
                "--tool",
                multiple=True,
                metavar="FILE.py[:NAME,...]",
                help="Offer Python functions as tools: FILE.py:name[,name] or FILE.py (its public functions). "
                "Repeatable.",
            ),
            click.option(
                "--mcp",
                multiple=True,
                metavar="CMD|URL",
                help="Offer an MCP server's tools: a command line (run for the chat, stopped after it) or an "
                "http(s):// URL. Repeatable; needs the mcp extra.",
            ),
            click.option("-y", "--yes", is_flag=True, help="Run the model's tool calls without asking."),
            click.option(
                "--max-rounds",
                type=click.IntRange(min=1),
                default=8,
                show_default=True,
                help="Most rounds of tool calls in one turn.",
            ),
            click.option(
                "--tool-timeout",
                type=float,
                callback=seconds,
                default=60.0,
                show_default=True,
                help="Seconds a tool call may take; past it the model gets an error result.",
            ),
            click.option("-v", "--verbose", is_flag=True, help="Show tool results whole (else one line each)."),
            click.option(
                "--json", "as_json", is_flag=True, help="Print one JSON object per line: calls, results, answers."
            ),
        ]
    ):
        func = option(func)
    return func


def command_line_tools(specs: tuple[str, ...], servers: tuple[str, ...], stack: contextlib.ExitStack) -> list[ToolLike]:
    """The tools the command line names: --tool files (each mistake a clear InvalidRequest),
    then each --mcp server's, the server started now and stopped when `stack` closes (one that
    cannot start: BackendUnavailable saying what to check)."""
    from chi_llm.entrypoints.tool_files import load_all

    tools: list[ToolLike] = list(load_all(specs))
    if servers:
        from chi_llm.entrypoints.mcp_tools import mcp_tools

        for server in servers:
            tools.extend(stack.enter_context(mcp_tools(server)).tools)
    return tools


@dataclass
class Approval:
    """`before_call` for the chat: --yes allows every call; on a terminal the user is asked
    (yes, no, or always for this tool in this chat); with no terminal to ask on, the call is
    refused and the user told to pass --yes."""

    view: View
    yes: bool
    always: set[str] = field(default_factory=set)

    def __call__(self, call: ToolCall) -> bool | str:
        self.view.call(call)
        if self.yes or call.name in self.always:
            return True
        if not sys.stdin.isatty():
            output.note(
                f"chi-llm: tool {call.name} not run: there is no terminal to ask on; "
                "pass --yes to run tool calls without asking"
            )
            return NO_TERMINAL
        answer = self.ask(call)
        if answer in ("a", "always"):
            self.always.add(call.name)
            return True
        return True if answer in ("y", "yes") else DECLINED

    def ask(self, call: ToolCall) -> str:
        """The user's answer, lower-cased ('' at the end of input: no)."""
        if self.view.as_json:  # the call's JSON event is on stdout: name it where the question is
            output.note(f"tool {visible(call_text(call))}")
        sys.stderr.write("Run it? [y/N/a(lways)] ")
        sys.stderr.flush()
        said = ""
        try:
            said = sys.stdin.readline()
        finally:  # Ctrl-C or the end of input: the question's line still needs its end
            if not said.endswith("\n"):
                output.note("")
        return said.strip().lower()


@dataclass
class ChatTurns:
    """How the chat's turns run: through the tool loop when it has tools, else one reply
    (streamed, or one JSON answer with --json)."""

    tools: list[ToolLike]
    names: list[str]
    view: View
    approval: Approval
    max_rounds: int
    tool_timeout: float

    @classmethod
    def from_options(cls, options: dict[str, Any], stack: contextlib.ExitStack) -> ChatTurns:
        """The turns the options ask for; the tool files are loaded and the MCP servers started
        now (a bad one fails here), the servers stopped when `stack` closes."""
        view = View(as_json=options["as_json"], verbose=options["verbose"])
        tools = command_line_tools(options["tool"], options["mcp"], stack)
        return cls(
            tools=tools,
            names=[getattr(found, "name", "?") for found in tools],
            view=view,
            approval=Approval(view, options["yes"]),
            max_rounds=options["max_rounds"],
            tool_timeout=options["tool_timeout"],
        )

    @property
    def plain(self) -> bool:
        """No tools and no --json: the chat as it always was."""
        return not self.tools and not self.view.as_json

    def turn(self, session: Any, llm: Any, text: str) -> None:
        """One turn: streamed text, each call shown (and asked about), each result, the
        answer. ChiLlmError and KeyboardInterrupt propagate (the caller decides)."""
        self.view.begin()
        try:
            if self.tools:
                self._tool_turn(session, llm, text)
            elif self.view.as_json:
                session.chat(text, truncate=True)
                self.view.answer(llm, llm.last_completion)
            else:
                self._streamed(session, llm, text)
        finally:
            self.view.end_line()

    def _streamed(self, session: Any, llm: Any, text: str) -> None:
        pieces = session.stream(text, truncate=True)
        try:
            for piece in pieces:
                self.view.text(piece)
        finally:
            close_stream(pieces)
        self.view.answer(llm, llm.last_completion)

    def _tool_turn(self, session: Any, llm: Any, text: str) -> None:
        events = session.act_stream(
            text,
            self.tools,
            before_call=self.approval,
            max_rounds=self.max_rounds,
            tool_timeout=self.tool_timeout,
            truncate=True,
        )
        # Under --json stdout carries JSON lines only: what a tool prints goes to stderr.
        quiet = contextlib.redirect_stdout(sys.stderr) if self.view.as_json else contextlib.nullcontext()
        try:
            with quiet:
                for event in events:
                    self._show(llm, event)
        finally:
            close_stream(events)

    def _show(self, llm: Any, event: LoopEvent) -> None:
        from chi_llm.application.tools import CallResult, Finished, RoundDone, TextDelta

        if isinstance(event, TextDelta):
            self.view.text(event.text)
        elif isinstance(event, CallResult):
            self.view.result(event)
        elif isinstance(event, RoundDone):
            self.view.round_done()
        elif isinstance(event, Finished):
            self.view.answer(llm, event.result.completion, event.result)

    def in_repl(self, session: Any, llm: Any, text: str) -> None:
        """A turn in the REPL: an error or Ctrl-C ends the turn, not the chat."""
        from chi_llm.domain.errors import ChiLlmError

        try:
            self.turn(session, llm, text)
        except KeyboardInterrupt:
            self.view.stopped()
        except ChiLlmError as error:
            self.view.error(error)
