"""`chi-llm chat` (a conversation that keeps history) and `chi-llm interactive` (one-shot prompts)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from chi_llm.domain.errors import ChiLlmError
from chi_llm.entrypoints.cli import output
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
        output.line()
        return None


def stream_reply(llm: Any, request: Any) -> str:
    """Stream one reply; Ctrl-C stops it and keeps what was produced. Errors are reported, not fatal."""
    produced: list[str] = []
    try:
        pieces = llm.run_stream(request)
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
        pieces.close()
        output.line()
    return "".join(produced)


def chat_turn(llm: Any, history: list[dict[str, str]], text: str) -> None:
    """One conversational turn; long conversations drop their oldest turns rather than failing."""
    reply = stream_reply(llm, llm.chat_request(text, history=history, truncate=True))
    history.extend([{"role": "user", "content": text}, {"role": "assistant", "content": reply}])


def repl(handle: Callable[[str], bool], banner: str) -> None:
    output.note(banner)
    while (text := read_line(">>> ")) is not None:
        command = text.strip()
        if command in ("/exit", "/quit"):
            break
        if command and not handle(command):
            break


@click.command()
@model_options
@system_option
@output.guarded(lambda _: False)
def chat(llm_options: dict[str, Any]) -> None:
    """Chat with the model, keeping the conversation's history."""
    llm = build_llm(**llm_options)
    history: list[dict[str, str]] = []

    def turn(text: str) -> bool:
        if text == "/reset":
            history.clear()
            output.note("(history cleared)")
            return True
        if text == "/help":
            output.note(CHAT_HELP)
            return True
        chat_turn(llm, history, text)
        return True

    repl(turn, f"Chatting with {llm.model}. {CHAT_HELP}")


@click.command()
@model_options
@system_option
@output.guarded(lambda _: False)
def interactive(llm_options: dict[str, Any]) -> None:
    """A prompt loop: each line is a one-shot generation; commands switch the mode per line."""
    from chi_llm.entrypoints.facade import ask_prompt

    llm = build_llm(**llm_options)
    history: list[dict[str, str]] = []

    def handle(text: str) -> bool:
        command, _, rest = text.partition(" ") if text.startswith("/") else ("", "", text)
        if command == "/help":
            output.note(INTERACTIVE_HELP)
        elif command == "/reset":
            history.clear()
            output.note("(chat history cleared)")
        elif command == "/ask" and rest:
            stream_reply(llm, llm.chat_request(ask_prompt(rest, None)))
        elif command == "/complete" and rest:
            stream_reply(llm, llm.raw_request(rest))
        elif command == "/chat" and rest:
            chat_turn(llm, history, rest)
        elif command:
            output.note(f"unknown or incomplete command {command!r}. {INTERACTIVE_HELP}")
        else:
            stream_reply(llm, llm.chat_request(rest))
        return True

    repl(handle, f"Interactive mode on {llm.model}. {INTERACTIVE_HELP}")
