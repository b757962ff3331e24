"""`chi-llm extract | classify`: structured output from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from chi_llm.adapters.regular_files import Refusal, read_regular
from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.structured import MAX_SCHEMA_DEPTH, nesting
from chi_llm.entrypoints.cli import output
from chi_llm.entrypoints.cli.inputs import read_input
from chi_llm.entrypoints.cli.options import build_llm, json_option, model_options

MAX_SCHEMA_BYTES = 1024 * 1024  # a schema file larger than this is refused unread


def _schema_file(path: str) -> str:
    """A schema file's text: only a regular file (never a device or a FIFO), up to MAX_SCHEMA_BYTES."""
    try:
        data = read_regular(Path(path), MAX_SCHEMA_BYTES)
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise InvalidRequest(f"--schema is neither JSON nor a readable file: {path} ({why})") from None
    if isinstance(data, Refusal):
        if data.kind is None:
            raise InvalidRequest(
                f"--schema {path} is larger than {MAX_SCHEMA_BYTES // 1024} KiB; give a smaller schema"
            )
        raise InvalidRequest(f"--schema {path} is {data}; give a JSON Schema file or inline JSON")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(f"--schema {path} is not UTF-8 text (byte {exc.start})") from None


def load_schema(text: str) -> Any:
    """--schema: inline JSON, or a file holding it."""
    source = text if text.lstrip().startswith("{") else _schema_file(text)
    too_deep = InvalidRequest(f"--schema is nested more than {MAX_SCHEMA_DEPTH} levels deep; flatten it")
    try:
        schema = json.loads(source)
    except ValueError as exc:
        raise InvalidRequest(f"--schema is not valid JSON: {exc}") from None
    except RecursionError:
        raise too_deep from None
    if nesting(schema) > MAX_SCHEMA_DEPTH:
        raise too_deep
    if not isinstance(schema, dict):
        raise InvalidRequest("--schema must be a JSON object (a JSON Schema)")
    return schema


@click.command()
@click.argument("text", required=False)
@click.option("-f", "--file", "file", help="Read the text from FILE (- for standard input).")
@click.option("--schema", "schema_text", required=True, help="A JSON Schema: inline JSON or a file.")
@click.option("-i", "--instructions", help="More guidance for the model.")
@model_options
@json_option
@output.guarded()
def extract(
    text: str | None,
    file: str | None,
    schema_text: str,
    instructions: str | None,
    llm_options: dict[str, Any],
    as_json: bool,
) -> None:
    """Extract data that follows a JSON Schema from TEXT (argument, -f FILE, or - for stdin).
    Prints the validated JSON value; with --json, {"value", "attempts", "usage"}."""
    schema = load_schema(schema_text)
    body = read_input(text, file, what="text")
    llm = build_llm(**llm_options, one_shot=body + json.dumps(schema) + (instructions or ""))
    value = llm.extract(body, schema, instructions=instructions)
    if as_json:
        done = llm.last_extraction
        usage = llm.last_completion.usage if llm.last_completion else None
        result = {"value": value, "attempts": done.attempts if done else 1, "enforced": bool(done and done.enforced)}
        output.emit_json({**result, "usage": usage})
        return
    output.line(json.dumps(value, ensure_ascii=False, indent=2))


@click.command()
@click.argument("text", required=False)
@click.option("-f", "--file", "file", help="Read the text from FILE (- for standard input).")
@click.option("-c", "--categories", "categories", required=True, help="The labels, comma-separated.")
@click.option("--multi", is_flag=True, help="Every label that applies, not just one.")
@model_options
@json_option
@output.guarded()
def classify(
    text: str | None,
    file: str | None,
    categories: str,
    multi: bool,
    llm_options: dict[str, Any],
    as_json: bool,
) -> None:
    """Classify TEXT into one of the labels given with -c (or several with --multi)."""
    labels = [label.strip() for label in categories.split(",") if label.strip()]
    body = read_input(text, file, what="text")
    llm = build_llm(**llm_options, one_shot=body + categories)
    chosen = llm.classify(body, labels, multi=multi)
    if as_json:
        done = llm.last_classification
        confidence = done.confidence if done is not None else None
        output.emit_json({"labels" if multi else "label": chosen, "confidence": confidence})
        return
    output.line(", ".join(chosen) if multi else str(chosen))
