"""`chi-llm chat` (a conversation that keeps history; with tools, chat_tools) and `chi-llm
interactive` (one-shot prompts)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import click

from chi_llm.domain.errors import ChiLlmError
from chi_llm.domain.generation import close_stream
from chi_llm.entrypoints.cli import output
from chi_llm.entrypoints.cli.chat_tools import ChatTurns, tool_options
from chi_llm.entrypoints.cli.options import build_llm, model_options, system_option

CHAT_HELP = "Commands: /reset clears the history, /exit (or Ctrl-D) leaves. Ctrl-C stops a reply."
INTERACTIVE_HELP = (
    "Type a prompt to generate. Commands: /ask QUESTION, /complete TEXT, /chat MESSAGE "
    "(keeps history), /reset, /help, /exit. Ctrl-C stops a reply."
)


def read_line(prompt: str) -> str | None:
    """One line from the user, or None on end of input / Ctrl-C at the prompt."""
    try:
        return input(prompt)
    except (EOFError, KeyboardInterrupt):
        if prompt:  # end the prompt's line (--json shows none: its stdout is JSON lines only)
            output.line()
        return None


def stream_reply(start: Callable[[], Iterator[str]]) -> str:
    """Stream one reply; Ctrl-C stops it and keeps what was produced. Errors are reported, not fatal."""
    produced: list[str] = []
    try:
        pieces = start()
    except ChiLlmError as error:
        output.note(f"chi-llm: error: {error.message}")
        return ""
    try:
        for piece in pieces:
            output.write(piece)
            produced.append(piece)
    except KeyboardInterrupt:
        output.note("\n(stopped)")
    except ChiLlmError as error:
        output.note(f"\nchi-llm: error: {error.message}")
    finally:
        close_stream(pieces)
        output.line()
    return "".join(produced)


def chat_turn(session: Any, text: str) -> None:
    """One conversational turn (recorded in the session, stopped or not); long conversations
    drop their oldest turns rather than failing."""
    stream_reply(lambda: session.stream(text, truncate=True))


def ready(llm: Any) -> None:
    """Fetch and load a lone local model before the first prompt, so one that cannot be had
    (not downloadable, does not fit) fails the command once, with generate's exit code, rather
    than every line. With other providers to fall back on, each turn may still be answered."""
    if len(llm.provider_ids) == 1:
        llm.load()


def repl(handle: Callable[[str], bool], banner: str, prompt: str = ">>> ") -> None:
    output.note(banner)
    while (text := read_line(prompt)) is not None:
        command = text.strip()
        if command in ("/exit", "/quit"):
            break
        if command and not handle(command):
            break


@click.command()
@click.argument("prompt", required=False)
@model_options
@system_option
@tool_options
@output.guarded(lambda kw: kw["tool_options"]["as_json"], one_line=True)
def chat(prompt: str | None, llm_options: dict[str, Any], tool_options: dict[str, Any]) -> None:
    """Chat with the model, keeping the conversation's history; with PROMPT, that one turn.

    With --tool (your Python functions) or --mcp (an MCP server's tools), the model may call
    tools: each call is shown and asked about (y, N, or a: always that tool) unless --yes,
    then its result is shown."""
    with contextlib.ExitStack() as stack:  # the MCP servers run as long as the chat
        turns = ChatTurns.from_options(tool_options, stack)
        llm = build_llm(**llm_options)
        ready(llm)
        session = llm.session()
        if prompt is not None:  # one turn; what goes wrong ends the command with its exit code
            turns.turn(session, llm, prompt)
            return

        def turn(text: str) -> bool:
            if text == "/reset":
                session.reset()
                output.note("(history cleared)")
                return True
            if text == "/help":
                output.note(CHAT_HELP)
                return True
            if turns.plain:
                chat_turn(session, text)
            else:
                turns.in_repl(session, llm, text)
            return True

        tools = f" with tools {', '.join(turns.names)}" if turns.names else ""
        repl(turn, f"Chatting with {llm.model}{tools}. {CHAT_HELP}", "" if turns.view.as_json else ">>> ")


@click.command()
@model_options
@system_option
@output.guarded(lambda _: False)
def interactive(llm_options: dict[str, Any]) -> None:
    """A prompt loop: each line is a one-shot generation; commands switch the mode per line."""
    from chi_llm.entrypoints.facade import ask_prompt

    llm = build_llm(**llm_options)
    ready(llm)
    session = llm.session()

    def handle(text: str) -> bool:
        command, _, rest = text.partition(" ") if text.startswith("/") else ("", "", text)
        if command == "/help":
            output.note(INTERACTIVE_HELP)
        elif command == "/reset":
            session.reset()
            output.note("(chat history cleared)")
        elif command == "/ask" and rest:
            stream_reply(lambda: llm.stream(ask_prompt(rest, None)))
        elif command == "/complete" and rest:
            stream_reply(lambda: llm.stream_complete(rest))
        elif command == "/chat" and rest:
            chat_turn(session, rest)
        elif command:
            output.note(f"unknown or incomplete command {command!r}. {INTERACTIVE_HELP}")
        else:
            stream_reply(lambda: llm.stream(rest))
        return True

    repl(handle, f"Interactive mode on {llm.model}. {INTERACTIVE_HELP}")
