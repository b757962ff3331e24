"""Decoding on a shared machine (issue 23): the embedded default model's decode rate on an idle
CPU and with one other CPU-bound process, for the old default (a fixed thread per physical core,
llama.cpp's busy-waiting as it comes) and the new one (the same, with threads chosen token by
token: chi_llm/adapters/llama_cpp/thread_control.py).

One process loads the model twice (old and new default, each on its own decode thread). Each
round runs an idle block, then a busy block with a child process spinning in a loop (killed
after the block); inside a block both defaults generate `--reps` greedy answers each,
alternating which goes first. The new default keeps what it learned across answers, as it does
in use. Rates are the decode rate after the first token (Timings.tokens_per_second). Goal:
new busy / new idle >= 0.45, and new idle / old idle ~ 1.00.

Usage:  .venv/bin/python benchmarks/busy_decode.py [--rounds 3] [--reps 4] [--max-tokens 64]
        [--wait-policy passive]   (sets OMP_WAIT_POLICY for both, to compare busy-waiting)
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PROMPT = "Write a long, detailed story about a lighthouse keeper and a storm."
CONTEXT = 1024
SPIN = "while True: pass"


@contextmanager
def neighbour(busy: bool) -> Iterator[None]:
    """One other CPU-bound process for the duration of the block (none when not `busy`)."""
    if not busy:
        yield
        return
    child = subprocess.Popen([sys.executable, "-c", SPIN])
    time.sleep(0.5)  # let the scheduler see it as a steady competitor
    try:
        yield
    finally:
        child.kill()
        child.wait()


def block(sides: dict[str, Callable[[int], Any]], reps: int) -> dict[str, list[Any]]:
    results: dict[str, list[Any]] = {name: [] for name in sides}
    names = list(sides)
    for rep in range(reps):
        for name in names if rep % 2 == 0 else names[::-1]:
            results[name].append(sides[name](rep))
            time.sleep(0.05)  # an OpenMP team spins a moment after its last token; let it sleep
    return results


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} (min {min(values):.3f}, max {max(values):.3f})"


def report(
    rates: dict[tuple[str, bool], list[float]], ended: list[int], args: argparse.Namespace, cores: int, model: str
) -> None:
    def rate(name: str, busy: bool) -> float:
        return statistics.median(rates[(name, busy)])

    print(
        f"chi_llm busy-CPU decoding — {time.strftime('%Y-%m-%d %H:%M')}, {platform.machine()}, "
        f"{os.cpu_count()} logical / {cores} physical cores, model {model}, {args.max_tokens} greedy "
        f"tokens, {args.rounds} rounds x {args.reps} answers per block, OMP_WAIT_POLICY="
        f"{os.environ.get('OMP_WAIT_POLICY', '(unset)')}, load average at the end {os.getloadavg()[0]:.2f}"
    )
    for name, label in (("old", f"old default ({cores} threads, fixed)"), ("new", "new default (adaptive)")):
        print(
            f"{label:34} idle {rate(name, False):6.1f} tok/s   one CPU-bound neighbour "
            f"{rate(name, True):6.1f} tok/s   ratio busy/idle {rate(name, True) / rate(name, False):.3f}"
        )
    print(f"new busy / new idle:  {rate('new', True) / rate('new', False):.3f}   (goal >= 0.45)")
    print(f"new idle / old idle:  {rate('new', False) / rate('old', False):.3f}   (goal ~ 1.00)")
    print(f"new busy / old busy:  {rate('new', True) / rate('old', True):.3f}")
    per_answer = [n / o for n, o in zip(rates[("new", True)], rates[("old", True)], strict=True)]
    print(f"per answer, new busy / old busy: {summary(per_answer)}")
    print(f"new default, threads at the end of each answer: {dict(sorted(Counter(ended).items()))}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reps", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--wait-policy", choices=["active", "passive"], default=None)
    args = parser.parse_args()
    if args.wait_policy:
        os.environ["OMP_WAIT_POLICY"] = args.wait_policy  # read when llama.cpp's libgomp loads, below

    from chi_llm import MicroLLM
    from chi_llm.adapters.llama_cpp import LlamaCppGenerator
    from chi_llm.adapters.llama_cpp.load_defaults import physical_cores
    from chi_llm.domain.generation import GenerationOptions, GenerationRequest
    from chi_llm.domain.messages import Message

    backend = MicroLLM().load().backend  # the zero-configuration default model (fetched on first use)
    assert isinstance(backend, LlamaCppGenerator)
    path = backend.load().params.path
    cores = physical_cores()
    generators = {
        "old": LlamaCppGenerator(locate=Path, default_model=str(path), context=CONTEXT, threads=cores),
        "new": LlamaCppGenerator(locate=Path, default_model=str(path), context=CONTEXT),
    }
    threads_seen: dict[str, list[int]] = {"old": [], "new": []}

    def side(name: str, busy: bool) -> Callable[[int], float]:
        def run(rep: int) -> float:
            head = f"[{name} {'busy' if busy else 'idle'} {rep} {time.monotonic_ns()}] "
            options = GenerationOptions(temperature=0.0, max_tokens=args.max_tokens, seed=1)
            ask = (Message(role="user", content=head + PROMPT),)
            done = generators[name].generate(GenerationRequest(messages=ask, options=options))
            if done.timings.threads is not None:
                threads_seen[name].append(done.timings.threads.used)
            rate = done.timings.tokens_per_second(done.usage.completion_tokens)
            if rate is None:
                raise SystemExit(f"{name}: the answer ended after {done.usage.completion_tokens} tokens")
            return rate

        return run

    for name in generators:  # load and warm both
        side(name, False)(-1)
    rates: dict[tuple[str, bool], list[float]] = {(n, b): [] for n in generators for b in (False, True)}
    for _ in range(args.rounds):
        for busy in (False, True):
            with neighbour(busy):
                found = block({n: side(n, busy) for n in generators}, args.reps)
            for name, values in found.items():
                rates[(name, busy)].extend(values)

    report(rates, threads_seen["new"], args, cores, path.name)


if __name__ == "__main__":
    main()
