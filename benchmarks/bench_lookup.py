"""Prompt lookup (draftless speculation, chi_llm/adapters/llama_cpp/engine/lookup.py): for each kind
of request, the embedded default model's greedy decode rate with drafts on (`grounded=True`)
against off, measured in the same run, alternating which goes first, each answer from an empty
cache (so both read the same prompt the same way), and whether the answers were identical.

Kinds: copying a passage, rewriting it, a RAG-style answer from numbered passages, JSON
extraction (grammar-constrained), a summary, open-ended text. Goals (issue 26): >= 1.3x on
copy-heavy requests with identical output, >= 0.97x on every other kind. A kind's ratio is the
median over reps of (rate on / rate off) of the pair decoded back to back; rates are the decode
rate after the first token (Timings.tokens_per_second). The thread count is fixed (physical
cores unless --threads): with more than one thread, llama.cpp's numerics past 256 cells depend on
it, so an adaptive count could make two greedy answers differ whatever the drafts.

Usage:  .venv/bin/python benchmarks/bench_lookup.py [--reps 3] [--max-tokens 180] [--kinds copy,json] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

CONTEXT = 2048
PASSAGE = (
    "The city library opens at nine in the morning and closes at six in the evening from Monday to "
    "Friday; on Saturdays it closes at two in the afternoon and it is closed on Sundays. Members may "
    "borrow up to five books at a time for three weeks, and renew them twice online unless someone "
    "else has reserved them. Late returns cost ten cents a day per book, up to a limit of five dollars. "
    "Children under twelve need a parent's signature to join, and their cards carry no late fees. The "
    "reading room on the second floor is quiet at all times; phones must be silent there. Study rooms "
    "can be booked for two hours a day, at most a week ahead, at the front desk or on the website."
)
SOURCES = (
    "[1] The city library renovated its second floor in 2021, adding six study rooms and a quiet "
    "reading room with forty seats.\n"
    f"[2] {PASSAGE}\n"
    "[3] The library's board meets on the first Tuesday of each month; meetings are open to the public."
)
KINDS: dict[str, tuple[str, dict[str, Any]]] = {
    "copy": (f"Repeat this text exactly, word for word:\n\n{PASSAGE}", {}),
    "rewrite": (f"Rewrite this text so that it speaks to the reader as 'you':\n\n{PASSAGE}", {}),
    "rag": (
        f"Answer the question using only the numbered sources, citing them like [1].\n\n{SOURCES}\n\n"
        "Question: What are the library's opening hours and borrowing rules?",
        {},
    ),
    "json": (
        "Extract the library's rules as JSON with the keys opening_hours, loan_limit, loan_weeks, "
        f"late_fee, children and study_rooms, each a string quoting the text:\n\n{PASSAGE}",
        {"json": True},
    ),
    "summary": (f"Summarize this text in a few sentences:\n\n{PASSAGE}", {}),
    "open": ("Write a long story about a lighthouse keeper who finds a message in a bottle.", {}),
}
COPY_HEAVY = ("copy",)


def run(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Measure every kind in `args.kinds`; print and return each one's ratio and identity."""
    from chi_llm import MicroLLM
    from chi_llm.adapters.llama_cpp import LlamaCppGenerator
    from chi_llm.domain.generation import GenerationOptions, GenerationRequest
    from chi_llm.domain.messages import Message

    backend = MicroLLM().load().backend  # the zero-configuration default model (fetched on first use)
    assert isinstance(backend, LlamaCppGenerator)
    path = backend.load().params.path
    from chi_llm.adapters.llama_cpp.load_defaults import physical_cores

    threads = args.threads or physical_cores()  # fixed: past 256 cells the count changes greedy answers
    model = LlamaCppGenerator(locate=Path, default_model=str(path), context=CONTEXT, parallel=1, threads=threads)
    scheduler = model.load().scheduler
    kinds = [k.strip() for k in args.kinds.split(",")] if args.kinds else list(KINDS)

    def answer(kind: str, grounded: bool) -> tuple[str, float, int]:
        text, extra = KINDS[kind]
        options = GenerationOptions(temperature=0.0, max_tokens=args.max_tokens, seed=1, grounded=grounded, **extra)
        scheduler.call(scheduler.clear)  # both read the whole prompt: same numerics, same work
        done = model.generate(GenerationRequest(messages=(Message(role="user", content=text),), options=options))
        rate = done.timings.tokens_per_second(done.usage.completion_tokens) if done.timings else None
        return done.text, rate or 0.0, done.usage.completion_tokens

    answer("open", False)  # warm up
    print(
        f"chi_llm prompt lookup — {time.strftime('%Y-%m-%d %H:%M')}, {platform.machine()}, "
        f"{os.cpu_count()} logical cores, {threads} thread(s), model {Path(path).name}, greedy, "
        f"{args.max_tokens} tokens at most, "
        f"{args.reps} pairs per kind (alternating order), load average {os.getloadavg()[0]:.2f}"
    )
    results: dict[str, dict[str, Any]] = {}
    for kind in kinds:
        ratios: list[float] = []
        same = True
        tokens = 0
        for rep in range(args.reps):
            order = (True, False) if rep % 2 == 0 else (False, True)
            got = {grounded: answer(kind, grounded) for grounded in order}
            same = same and got[True][0] == got[False][0]
            tokens = got[False][2]
            if got[False][1] > 0:
                ratios.append(got[True][1] / got[False][1])
        ratio = statistics.median(ratios) if ratios else float("nan")
        goal = 1.3 if kind in COPY_HEAVY else 0.97
        results[kind] = {"ratio": ratio, "identical": same, "tokens": tokens}
        print(
            f"{kind:8} drafts on / off {ratio:5.2f}x  (min {min(ratios, default=0):.2f}, max "
            f"{max(ratios, default=0):.2f}; goal >= {goal})  {tokens:4d} tokens  "
            f"outputs {'identical' if same else 'DIFFER'}"
        )
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    return results


def arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=180)
    parser.add_argument("--threads", type=int, default=0, help="decode threads (default: physical cores)")
    parser.add_argument("--kinds", default="", help=f"comma-separated, from {', '.join(KINDS)} (default: all)")
    return parser


def main() -> None:
    run(arguments(argparse.ArgumentParser(description=__doc__.splitlines()[0])).parse_args())


if __name__ == "__main__":
    main()
