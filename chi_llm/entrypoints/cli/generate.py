"""`chi-llm generate | ask | complete`: one-shot generations."""

from __future__ import annotations

from typing import Any

import click

from chi_llm.domain.results import to_json
from chi_llm.entrypoints.cli import output
from chi_llm.entrypoints.cli.inputs import read_input
from chi_llm.entrypoints.cli.options import build_llm, model_options, output_options, system_option


def completion_json(completion: Any) -> dict[str, Any]:
    usage, timings = completion.usage, completion.timings
    return {
        "text": completion.text,
        "finish_reason": completion.finish_reason,
        "model": completion.model,
        "usage": {
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens,
        },
        "timings": {
            "time_to_first_token_s": timings.time_to_first_token,
            "total_s": timings.total,
            "tokens_per_second": timings.tokens_per_second(usage.completion_tokens),
            "threads": to_json(timings.threads),  # a local model's CPU threads: {used, most, changes, contended}
        },
    }


def routed(llm: Any) -> dict[str, Any]:
    """Who answered, and who failed before it (the embedded fallback answers when they do)."""
    return {"provider": llm.answered_by, "fallback": llm.fell_back_from}


def deliver(llm: Any, request: Any, *, no_stream: bool, as_json: bool) -> None:
    """Print a generation: JSON, whole, or streamed as it is produced (Ctrl-C stops it cleanly)."""
    if as_json:
        done = llm.run(request)
        output.emit_json(completion_json(done) | routed(llm))
        return
    if no_stream:
        output.line(llm.run(request).text)
        return
    pieces = llm.run_stream(request)
    try:
        for piece in pieces:
            output.write(piece)
    finally:
        pieces.close()  # stops decoding at once if we were interrupted
        output.line()


@click.command()
@click.argument("prompt", required=False)
@click.option("-f", "--file", "file", help="Read the prompt from FILE (- for standard input).")
@model_options
@system_option
@output_options
@output.guarded()
def generate(
    prompt: str | None,
    file: str | None,
    llm_options: dict[str, Any],
    no_stream: bool,
    as_json: bool,
) -> None:
    """Generate a reply to PROMPT (argument, -f FILE, or standard input)."""
    text = read_input(prompt, file)
    llm = build_llm(**llm_options, one_shot=text)
    deliver(llm, llm.chat_request(text), no_stream=no_stream, as_json=as_json)


@click.command()
@click.argument("question", required=False)
@click.option("-c", "--context", "context", help="Context the answer should use.")
@click.option("--context-file", help="Read the context from a file.")
@click.option("-f", "--file", "file", help="Read the question from FILE (- for standard input).")
@model_options
@system_option
@output_options
@output.guarded()
def ask(
    question: str | None,
    context: str | None,
    context_file: str | None,
    file: str | None,
    llm_options: dict[str, Any],
    no_stream: bool,
    as_json: bool,
) -> None:
    """Ask QUESTION, optionally about some context. `-` reads the question from standard input."""
    from chi_llm.entrypoints.facade import ask_prompt

    text = read_input(question, file, what="question")
    if context_file is not None:
        context = read_input(None, context_file, what="context")
    full = ask_prompt(text, context)
    llm = build_llm(**llm_options, one_shot=full)
    if context and not llm.fits(full):  # longer than the context: read part by part (not streamed)
        answer = llm.ask(text, context)
        if as_json:
            output.emit_json(completion_json(llm.last_completion) | {"text": answer} | routed(llm))
        else:
            output.line(answer)
        return
    deliver(llm, llm.chat_request(full, grounded=bool(context)), no_stream=no_stream, as_json=as_json)


@click.command()
@click.argument("text", required=False)
@click.option("-f", "--file", "file", help="Read the text from FILE (- for standard input).")
@model_options
@output_options
@output.guarded()
def complete(
    text: str | None,
    file: str | None,
    llm_options: dict[str, Any],
    no_stream: bool,
    as_json: bool,
) -> None:
    """Continue TEXT as raw text, with no chat template."""
    body = read_input(text, file, what="text")
    llm = build_llm(**llm_options, one_shot=body)
    deliver(llm, llm.raw_request(body), no_stream=no_stream, as_json=as_json)
