"""`chi-llm summarize | translate | analyze | template`: task helpers and prompt templates."""

from __future__ import annotations

import sys
from typing import Any

import click

from chi_llm.application.tasks import STYLES
from chi_llm.domain.errors import ChiLlmError, InvalidRequest
from chi_llm.entrypoints.cli import output
from chi_llm.entrypoints.cli.generate import deliver
from chi_llm.entrypoints.cli.inputs import read_input
from chi_llm.entrypoints.cli.options import build_llm, json_option, model_options, output_options, wire_options

FILE_OPTION = click.option("-f", "--file", "file", help="Read the text from FILE (- for standard input).")


def _emit(text: str, as_json: bool) -> None:
    if as_json:
        output.emit_json({"text": text})
    else:
        output.line(text)


@click.command()
@click.argument("text", required=False)
@FILE_OPTION
@click.option("--style", type=click.Choice(list(STYLES)), default="concise", show_default=True)
@model_options
@json_option
@output.guarded()
def summarize(text: str | None, file: str | None, style: str, llm_options: dict[str, Any], as_json: bool) -> None:
    """Summarize TEXT (argument, -f FILE, or - for stdin), of any length: a text longer than the
    context is summarized part by part and the parts combined."""
    body = read_input(text, file, what="text")
    _emit(build_llm(**llm_options).summarize(body, style), as_json)


@click.command()
@click.argument("text", required=False)
@FILE_OPTION
@click.option("--to", "to", required=True, help="The language to translate into (French, Japanese...).")
@model_options
@json_option
@output.guarded()
def translate(text: str | None, file: str | None, to: str, llm_options: dict[str, Any], as_json: bool) -> None:
    """Translate TEXT into another language (long texts piece by piece, in order)."""
    body = read_input(text, file, what="text")
    _emit(build_llm(**llm_options).translate(body, to), as_json)


@click.command()
@click.argument("code", required=False)
@FILE_OPTION
@click.option("-q", "--question", help="What to find out (default: what it does, bugs, risks, improvements).")
@model_options
@json_option
@output.guarded()
def analyze(
    code: str | None, file: str | None, question: str | None, llm_options: dict[str, Any], as_json: bool
) -> None:
    """Analyze CODE (argument, -f FILE, or - for stdin)."""
    body = read_input(code, file, what="code")
    _emit(build_llm(**llm_options).analyze(body, question), as_json)


def _pairs(items: tuple[str, ...]) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidRequest(f"template values are KEY=VALUE, got {item!r}")
        values[key.strip()] = value
    return values


def _list() -> None:
    from chi_llm.entrypoints.templates import TemplateLibrary

    for template in TemplateLibrary().store.all():  # this command's configuration
        origin = "" if template.source == "built-in" else f"  [{template.source}]"
        output.line(f"{template.name:<22} {template.description}{origin}")
        output.line(f"{'':<22} takes: {template.signature()}")


@click.command()
@click.argument("name", required=False)
@click.argument("values", nargs=-1)
@FILE_OPTION
@click.option("--list", "show_list", is_flag=True, help="List the templates and what they take.")
@click.option("--show", is_flag=True, help="Print the rendered prompt; do not generate.")
@model_options
@output_options
@output.guarded()
def template(
    name: str | None,
    values: tuple[str, ...],
    file: str | None,
    show_list: bool,
    show: bool,
    llm_options: dict[str, Any],
    no_stream: bool,
    as_json: bool,
) -> None:
    """Generate from the prompt template NAME with KEY=VALUE values; its main input (the code,
    the text...) may come from -f FILE or standard input. `--list` shows them all."""
    from chi_llm.entrypoints.templates import TemplateLibrary

    if show_list or not name:
        _list()
        return
    wired, problem = None, None
    if not show:
        try:
            wired = wire_options(**llm_options)  # the templates folder and the model, read once
        except ChiLlmError as error:  # the template and its input are checked first, as they always were
            problem = error
    chosen = TemplateLibrary(wired.templates() if wired is not None else None).get(name)
    given = _pairs(values)
    if chosen.input and chosen.input not in given and (file is not None or not sys.stdin.isatty()):
        given[chosen.input] = read_input(None, file, what=chosen.input)
    prompt = chosen.render(given)
    if show:
        output.write(prompt)
        return
    if problem is not None:
        raise problem
    llm = build_llm(**llm_options, one_shot=prompt, wired=wired)
    deliver(llm, llm.chat_request(prompt), no_stream=no_stream, as_json=as_json)
