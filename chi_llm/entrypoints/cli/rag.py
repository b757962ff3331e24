"""`chi-llm rag ...`: add, query, search, list, remove, info, clear — a knowledge base with cited answers."""

from __future__ import annotations

import sys
from typing import Any

import click

from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.rag import SEARCH_MODES, Hit, IngestReport
from chi_llm.entrypoints.cli import output
from chi_llm.entrypoints.cli.options import json_option


def kb_options(func: Any) -> Any:
    func = click.option("--name", help="Knowledge base name (default: rag.name, else 'default').")(func)
    return click.option("--db", help="Folder or LanceDB URI (default: rag.db, else .chi_llm/rag in the project).")(func)


FILTER = click.option(
    "--filter",
    "filters",
    multiple=True,
    help="Only passages whose field (source, document_id, heading) or metadata key equals a value: key=value.",
)


def parse_filters(pairs: tuple[str, ...]) -> dict[str, Any] | None:
    """`key=value` pairs; a value that reads as JSON (a number, true/false) is that, else text."""
    import json

    where: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InvalidRequest(f"filters are key=value, got {pair!r}")
        try:
            where[key] = json.loads(value)
        except RecursionError:
            raise InvalidRequest(f"filter {key!r}: values are text, numbers or true/false, not nested JSON") from None
        except ValueError:
            where[key] = value
    return where or None


def knowledge_base(db: str | None, name: str | None, **kwargs: Any) -> Any:
    from chi_llm.entrypoints.rag import MicroRAG

    return MicroRAG(db_path=db, name=name, **kwargs)


@click.group()
def rag() -> None:
    """Ask questions of your documents: answers cite their sources (local and offline by default)."""


@rag.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--include", multiple=True, help="Only files matching this glob (repeatable).")
@click.option("--exclude", multiple=True, help="Skip files matching this glob (repeatable).")
@click.option("--prune", is_flag=True, help="Remove files that are gone from the folders given.")
@kb_options
@json_option
@output.guarded()
def add(
    paths: tuple[str, ...],
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    prune: bool,
    db: str | None,
    name: str | None,
    as_json: bool,
) -> None:
    """Add files, folders (recursively) or globs; what git ignores there and build output are left
    out. Unchanged files are skipped."""
    progress = _progress() if sys.stderr.isatty() and not as_json else None
    report: IngestReport = knowledge_base(db, name, progress=progress).add_files(
        list(paths), include=include, exclude=exclude, prune=prune
    )
    if progress is not None:
        sys.stderr.write("\n")
    if as_json:
        output.emit_json(report)
        return
    output.line(
        f"{len(report.added)} added, {len(report.updated)} updated, "
        + (f"{len(report.repaired)} repaired, " if report.repaired else "")
        + f"{len(report.unchanged)} unchanged, "
        f"{len(report.pruned)} removed, {len(report.skipped)} skipped"
        + (f", {_build_output(report.build_output)} passed over" if report.build_output else "")
        + f"; {report.chunks} chunks in {report.seconds:.1f} s"
    )
    for skipped in report.skipped:
        output.note(f"skipped {skipped.path}: {skipped.reason}")


def _build_output(count: int) -> str:
    return f"{count} build-output folder or file" if count == 1 else f"{count} build-output folders and files"


def _progress() -> Any:
    import time

    started = time.monotonic()

    def show(event: Any) -> None:
        rate = event["chunks"] / max(time.monotonic() - started, 1e-6)
        line = f"\rchi-llm: {event['files']}/{event['files_total']} files, {event['chunks']} chunks ({rate:.1f}/s)"
        sys.stderr.write(line)
        sys.stderr.flush()

    return show


@rag.command()
@click.argument("question")
@click.option("--sources", is_flag=True, help="Show the sources after the answer.")
@click.option("-k", "--top-k", type=int, help="How many passages to answer from.")
@click.option("--mode", type=click.Choice(SEARCH_MODES), help="Retrieval: vector, text or hybrid (default).")
@FILTER
@kb_options
@json_option
@output.guarded()
def query(
    question: str,
    sources: bool,
    top_k: int | None,
    mode: str | None,
    filters: tuple[str, ...],
    db: str | None,
    name: str | None,
    as_json: bool,
) -> None:
    """Answer QUESTION from the knowledge base, citing sources as [1], [2]..."""
    base = knowledge_base(db, name)
    where = parse_filters(filters)
    if as_json:
        answer = base.query(question, top_k, include_sources=True, mode=mode, filter=where)
        output.emit_json(answer)
        _notes(base, answer.removed_citations)
        return
    from chi_llm.application.rag.service import SourcesFound

    found: tuple[Hit, ...] = ()
    stream = base.stream_query(question, top_k, mode=mode, filter=where)
    for event in stream:
        if isinstance(event, SourcesFound):
            found = event.sources
        else:
            output.write(event)
    output.line()
    if sources and found:
        output.line("\nSources:")
        for number, hit in enumerate(found, 1):
            output.line(f"  [{number}] {_where(hit)}\n      {_snippet(hit)}")
    _notes(base, stream.removed_citations)


def _notes(base: Any, removed: tuple[int, ...]) -> None:
    """On stderr: citations taken out of the answer, and a larger model when a tiny one answered."""
    if removed:
        shown = ", ".join(f"[{n}]" for n in dict.fromkeys(removed))
        count = f"{len(removed)} citation" + ("s" if len(removed) > 1 else "")
        output.note(f"chi-llm: removed {count} of sources that were not given ({shown})")
    hint = base.larger_model_hint()
    if hint:
        output.note(f"chi-llm: {hint}")


def _snippet(hit: Hit, width: int = 160) -> str:
    text = " ".join(hit.passage.text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _where(hit: Hit) -> str:
    passage = hit.passage
    heading = f" — {passage.heading}" if passage.heading else ""
    score = f"similarity {hit.similarity:.3f}" if hit.similarity is not None else f"BM25 {hit.score:.2f}"
    return f"{passage.source}{heading} (chars {passage.start}-{passage.end}, {score})"


@rag.command()
@click.argument("text")
@click.option("-k", "--top-k", type=int, default=5, show_default=True)
@click.option("--mode", type=click.Choice(SEARCH_MODES), help="vector, text or hybrid (default).")
@FILTER
@kb_options
@json_option
@output.guarded()
def search(
    text: str, top_k: int, mode: str | None, filters: tuple[str, ...], db: str | None, name: str | None, as_json: bool
) -> None:
    """The passages closest to TEXT, best first."""
    hits = knowledge_base(db, name).search(text, top_k, filter=parse_filters(filters), mode=mode)
    if as_json:
        output.emit_json(hits)
        return
    for number, hit in enumerate(hits, 1):
        output.line(f"[{number}] {_where(hit)}\n    {_snippet(hit)}")


@rag.command("list")
@kb_options
@json_option
@output.guarded()
def list_(db: str | None, name: str | None, as_json: bool) -> None:
    """The documents in the knowledge base."""
    documents = knowledge_base(db, name).list_sources()
    if as_json:
        output.emit_json(documents)
        return
    for document in documents:
        output.line(f"{document.source}  ({document.chunks} chunks)")


@rag.command()
@click.argument("source")
@kb_options
@json_option
@output.guarded()
def remove(source: str, db: str | None, name: str | None, as_json: bool) -> None:
    """Remove a source (a file path as listed, or a document id) from the knowledge base."""
    import os

    base = knowledge_base(db, name)
    removed = base.delete(source=os.path.abspath(source) if os.path.exists(source) else source)
    removed = removed or base.delete(id=source)
    if not removed:
        raise InvalidRequest(f"nothing in the knowledge base comes from {source!r} (see `chi-llm rag list`)")
    if as_json:
        output.emit_json({"removed": removed})
    else:
        output.line(f"removed {removed} chunks")


@rag.command()
@kb_options
@json_option
@output.guarded()
def info(db: str | None, name: str | None, as_json: bool) -> None:
    """Where the knowledge base is, its embedding model and its size."""
    shown = knowledge_base(db, name).info()
    if as_json:
        output.emit_json(shown)
        return
    for key, value in shown.to_json().items():
        output.line(f"{key:16} {value}")


@rag.command()
@click.option("--yes", is_flag=True, help="Confirm: everything in the knowledge base is removed.")
@kb_options
@json_option
@output.guarded()
def clear(yes: bool, db: str | None, name: str | None, as_json: bool) -> None:
    """Remove the whole knowledge base (needs --yes)."""
    if not yes:
        raise InvalidRequest("`rag clear` removes everything in the knowledge base: pass --yes")
    base = knowledge_base(db, name)
    removed = base.count()
    base.clear()
    if as_json:
        output.emit_json({"cleared": base.name, "db": base.db_path, "removed": removed})
    else:
        output.line(f"cleared {base.name} at {base.db_path} ({removed} chunks)")
