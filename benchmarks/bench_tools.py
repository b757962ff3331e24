"""Tool calling, measured: the suite in benchmarks/tool_cases.json (48 prompts over 6 tools; a
quarter need no call) sent through the public API, one prompt at a time offering every tool
(`MicroLLM(...).chat(prompt, system=..., tools=[...], tool_choice="auto")`, greedy), per backend:

  fake             the fake provider scripted with each case's ideal answer (checks the harness:
                   it must score 100 % everywhere)
  local            the embedded SmolLM2-135M through the llama.cpp adapter (tool grammar on)
  local-nogrammar  the same with `tool_grammar: false` in a temporary config file
  qwen             Qwen2.5-Coder-0.5B-Instruct Q4_K_M (trained for tools; fetched pinned and
  qwen-nogrammar   verified by benchmarks/assets.py, a benchmark asset only) through the adapter
  server           llama-cpp-python's own OpenAI-compatible server on 127.0.0.1 (a free port),
  server-qwen      `--chat_format chatml-function-calling`, reached through an `openai` profile

Scores (benchmarks/tool_scoring.py): decision (call exactly when needed, all cases), tool (the
expected tool called, call cases), schema-valid (calls whose arguments validate against their
tool's schema, over the calls made; an answer chi_llm refuses counts as one invalid call), args
(the expected values extracted, call cases). A backend that cannot take tools says why and is
skipped. CPU times are indicative only on a shared machine (the load average is printed).

    .venv/bin/python benchmarks/bench_tools.py fake server server-qwen [--max-tokens 160]
        [--choice auto|required] [--limit N] [--only ID,ID] [--json results.json] [--smollm PATH]

`--choice required` forces a call on the cases that need one (the decision is then the
backend's, not the model's): what the grammar guarantees shows there, the tool and arguments
the model picks when it must call.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from assets import QWEN_CODER_05B, ensure
from serve import free_port, started
from tool_scoring import Answer, Case, Score, Suite, ideal, load_suite, problems, score, summary

from chi_llm import MicroLLM
from chi_llm.adapters.json_schema import JsonSchemaValidator
from chi_llm.adapters.llama_cpp.load_defaults import physical_cores
from chi_llm.domain.errors import ChiLlmError, ToolsUnsupported

BACKENDS = ("fake", "local", "local-nogrammar", "qwen", "qwen-nogrammar", "server", "server-qwen")
CONTEXT = 2048
SMOLLM = "smollm2-135m"


class Unavailable(Exception):
    """The backend cannot run the suite here; the message says why."""


def _model(name: str, smollm: str) -> str:
    return str(ensure(QWEN_CODER_05B)) if "qwen" in name else smollm


def _smollm_path(smollm: str) -> str:
    """A GGUF path for the server: the given path, or where chi_llm keeps the catalog model."""
    if Path(smollm).is_file():
        return smollm
    llm = MicroLLM(model=smollm)
    try:
        return str(llm.backend.load().params.path)  # type: ignore[attr-defined]
    finally:
        llm.close()


@contextmanager
def backend(name: str, cases: tuple[Case, ...], smollm: str) -> Iterator[MicroLLM]:
    with ExitStack() as stack:
        if name == "fake":
            llm = MicroLLM(provider={"type": "fake", "replies": [_scripted(ideal(case)) for case in cases]})
        elif name.startswith(("local", "qwen")):
            llm = _local(name, smollm, Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="chi_llm-bench-"))))
        else:
            url = stack.enter_context(_server(name, smollm))
            llm = MicroLLM(provider={"type": "openai", "base_url": url + "/v1", "model": "default", "max_retries": 0})
        stack.callback(llm.close)
        yield llm


def _scripted(answer: Answer) -> dict[str, Any]:
    calls = [{"name": name, "arguments": dict(arguments)} for name, arguments in answer.calls]
    return {"content": "" if calls else "An answer.", "tool_calls": calls}


def _local(name: str, smollm: str, folder: Path) -> MicroLLM:
    model = _model(name, smollm)
    if not name.endswith("-nogrammar"):
        return MicroLLM(model=model, context=CONTEXT)
    config = folder / "config.json"
    config.write_text(json.dumps({"tool_grammar": False}), encoding="utf-8")
    try:
        return MicroLLM(model=model, context=CONTEXT, config_path=config)
    except ChiLlmError as exc:
        raise Unavailable(f"the config key tool_grammar is refused here ({exc})") from None


@contextmanager
def _server(name: str, smollm: str) -> Iterator[str]:
    model = _model(name, smollm) if "qwen" in name else _smollm_path(smollm)
    port, threads = free_port(), str(physical_cores())
    command = [sys.executable, "-m", "llama_cpp.server", "--model", model, "--host", "127.0.0.1"]
    command += ["--port", str(port), "--n_ctx", str(CONTEXT), "--n_threads", threads, "--n_threads_batch", threads]
    command += ["--chat_format", "chatml-function-calling", "--verbose", "False"]
    with started(command, port, dict(os.environ)) as url:
        yield url


def ask(llm: MicroLLM, suite: Suite, case: Case, max_tokens: int, choice: str = "auto") -> tuple[Answer, str]:
    """One case through the public API: the answer to score and the text the model wrote."""
    try:
        completion = llm.chat(
            case.prompt,
            system=suite.system,
            tools=list(suite.tools),
            tool_choice=choice,
            temperature=0.0,
            seed=0,
            max_tokens=max_tokens,
        )
    except ToolsUnsupported as exc:
        raise Unavailable(f"no tool calls on this backend ({exc})") from None
    except ChiLlmError as exc:
        return Answer(error=f"{type(exc).__name__}: {exc}"), ""
    return Answer(calls=tuple((call.name, dict(call.arguments)) for call in completion.tool_calls)), completion.text


def run(name: str, suite: Suite, cases: tuple[Case, ...], args: argparse.Namespace) -> dict[str, Any]:
    validator = JsonSchemaValidator()
    records: list[dict[str, Any]] = []
    scores: list[Score] = []
    started_at = time.perf_counter()
    try:
        with backend(name, cases, args.smollm) as llm:
            loaded = time.perf_counter()
            for case in cases:
                begun = time.perf_counter()
                answer, text = ask(llm, suite, case, args.max_tokens, args.choice)
                seconds = time.perf_counter() - begun
                scored = score(suite, case, answer, validator)
                scores.append(scored)
                records.append(_record(case, answer, text, scored, seconds))
                print(f"  {name} {case.id}: {_verdict(scored)} {_shown(answer, text)}", file=sys.stderr)
    except (Unavailable, ChiLlmError) as exc:
        return {"backend": name, "unavailable": str(exc)}
    return {
        "backend": name,
        **summary(scores),
        "errors": sum(1 for r in records if r["error"]),
        "start_seconds": round(loaded - started_at, 1),
        "seconds": round(sum(r["seconds"] for r in records), 1),
        "median_seconds": round(statistics.median(r["seconds"] for r in records), 2),
        "results": records,
    }


def _record(case: Case, answer: Answer, text: str, scored: Score, seconds: float) -> dict[str, Any]:
    return {
        "id": case.id,
        "calls": [{"name": n, "arguments": a} for n, a in answer.calls],
        "text": text[:200],
        "error": answer.error,
        "decision": scored.decision,
        "tool": scored.tool,
        "args": scored.args,
        "schema_valid": f"{scored.valid_calls}/{scored.calls}",
        "seconds": round(seconds, 2),
    }


def _verdict(scored: Score) -> str:
    marks = [("D", scored.decision), ("T", scored.tool), ("A", scored.args)]
    return "".join(letter if ok else "-" if ok is False else "." for letter, ok in marks)


def _shown(answer: Answer, text: str) -> str:
    if answer.error:
        return answer.error[:120]
    if answer.calls:
        return "; ".join(f"{n}({json.dumps(a)[:100]})" for n, a in answer.calls)
    return repr(text[:60])


def _pct(value: float | None) -> str:
    return "    -" if value is None else f"{value:6.1%}"


def table(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'backend':<16} cases decision   tool  schema-valid (calls)   args  errors  seconds (median/case)"]
    for row in rows:
        if "unavailable" in row:
            lines.append(f"{row['backend']:<16} not run: {row['unavailable']}")
            continue
        lines.append(
            f"{row['backend']:<16} {row['cases']:5d}   {_pct(row['decision'])} {_pct(row['tool'])}"
            f"  {_pct(row['schema_valid'])} ({row['calls']:3d})      {_pct(row['args'])} {row['errors']:6d}"
            f"  {row['seconds']:7.1f} ({row['median_seconds']:.2f})"
        )
    return "\n".join(lines)


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    return f"{platform.system()} {cpu}, {os.cpu_count()} logical CPUs, {physical_cores()} cores"


def write_json(path: Path, document: dict[str, Any]) -> None:
    temporary = path.with_name(path.name + f".tmp-{os.getpid()}")
    temporary.write_text(json.dumps(document, indent=1), encoding="utf-8")
    os.replace(temporary, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("backends", nargs="+", choices=BACKENDS, metavar="BACKEND", help=", ".join(BACKENDS))
    parser.add_argument("--max-tokens", type=int, default=160, help="output tokens per answer (default 160)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N cases (a quick try)")
    parser.add_argument("--only", default=None, help="only these case ids, comma-separated (a quick try)")
    parser.add_argument("--json", type=Path, default=None, help="also write every answer and score here")
    parser.add_argument(
        "--choice",
        choices=("auto", "required"),
        default="auto",
        help="tool_choice: auto (the model decides; every case) or required (a call is forced; only the cases "
        "that need one: measures the tool chosen and its arguments)",
    )
    parser.add_argument("--smollm", default=SMOLLM, help=f"the SmolLM2 model: catalog id or .gguf path ({SMOLLM})")
    args = parser.parse_args()
    suite = load_suite()
    found = problems(suite, JsonSchemaValidator())
    if found:
        raise SystemExit("the case file is not well-formed:\n" + "\n".join(found))
    cases = suite.cases[: args.limit] if args.limit else suite.cases
    if args.choice == "required":
        cases = tuple(case for case in cases if case.expect.call)
    if args.only:
        wanted = args.only.split(",")
        unknown = sorted(set(wanted) - {case.id for case in suite.cases})
        if unknown:
            raise SystemExit(f"no such case: {', '.join(unknown)}")
        cases = tuple(case for case in cases if case.id in wanted)
    load_before = _load()
    header = (
        f"{time.strftime('%Y-%m-%d %H:%M')} {machine()}, max_tokens {args.max_tokens}, greedy, "
        f"tool_choice {args.choice}"
    )
    print(header, flush=True)
    rows = [run(name, suite, cases, args) for name in args.backends]
    load_after = _load()
    print(table(rows))
    print(f"load average (1, 5, 15 min): before {load_before}, after {load_after}")
    if args.json:
        document = {"header": header, "load_before": load_before, "load_after": load_after, "rows": rows}
        write_json(args.json, document)


if __name__ == "__main__":
    main()
