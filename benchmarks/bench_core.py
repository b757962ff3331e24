"""Core benchmark: chi_llm's streaming overhead against raw llama-cpp-python, and start-up cost.

Runs on the embedded default model with identical settings (context, threads, sampling,
greedy decoding) and interleaved repetitions, then prints a table. Usage:

    .venv/bin/python benchmarks/bench_core.py [--reps 5] [--max-tokens 200]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from chi_llm.adapters.catalog import YamlModelCatalog
from chi_llm.domain.model_spec import Sampling


def recommended() -> Sampling:
    """The default model's catalog sampling, which MicroLLM uses for what a call leaves unset."""
    catalog = YamlModelCatalog()
    return catalog.get(catalog.default_id).sampling or Sampling()


SAMPLING = recommended()
PROMPT = "Write a long, detailed story about a lighthouse keeper and a storm. Variant {n}."
CONTEXT = 4096


def raw_stream(llm: object, prompt: str, max_tokens: int) -> tuple[float, float, int]:
    """(time to first token, decode tokens/s, tokens) for llama-cpp-python's own streaming."""
    started = time.perf_counter()
    first = last = 0.0
    pieces = 0
    for chunk in llm.create_chat_completion(  # type: ignore[attr-defined]
        messages=[{"role": "user", "content": prompt}],
        stream=True,
        max_tokens=max_tokens,
        temperature=0.0,
        top_p=SAMPLING.top_p,
        top_k=SAMPLING.top_k,
        min_p=SAMPLING.min_p,
        repeat_penalty=SAMPLING.repeat_penalty,
        seed=1,
    ):
        if chunk["choices"][0]["delta"].get("content"):
            now = time.perf_counter()
            first = first or now
            last = now
            pieces += 1
    return first - started, (pieces - 1) / (last - first), pieces


def ours_stream(llm: object, prompt: str, max_tokens: int) -> tuple[float, float, int]:
    started = time.perf_counter()
    first = last = 0.0
    for _ in llm.stream(prompt, max_tokens=max_tokens, temperature=0.0, seed=1):  # type: ignore[attr-defined]
        now = time.perf_counter()
        first = first or now
        last = now
    tokens = llm.last_usage.completion_tokens  # type: ignore[attr-defined]
    return first - started, (tokens - 1) / (last - first), tokens


def ours_generate(llm: object, prompt: str, max_tokens: int) -> tuple[float, float, int]:
    request = llm.chat_request(prompt, max_tokens=max_tokens, temperature=0.0, seed=1)  # type: ignore[attr-defined]
    completion = llm.run(request)  # type: ignore[attr-defined]
    tokens = completion.usage.completion_tokens
    return completion.timings.time_to_first_token, completion.timings.tokens_per_second(tokens) or 0.0, tokens


def wall(command: list[str], reps: int = 7) -> float:
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


RAW_COLD = """
import sys
from llama_cpp import Llama
llm = Llama(model_path=sys.argv[1], n_ctx={context}, n_threads={threads}, n_threads_batch={threads},
            n_gpu_layers=0, verbose=False)
out = llm.create_chat_completion(messages=[{{"role": "user", "content": "hi"}}], max_tokens=16, temperature=0.0,
                                 top_p={top_p}, top_k={top_k}, min_p={min_p}, repeat_penalty={repeat_penalty})
print(out["choices"][0]["message"]["content"])
"""


def cold_start(model: Path, threads: int, reps: int) -> tuple[float, float]:
    """Median wall time of a new process answering "hi" in at most 16 tokens: a minimal
    llama-cpp-python script against `chi-llm generate -m 16 -t 0 hi` (same model, context,
    threads; both greedy, so both produce the same tokens), interleaved."""
    import os

    script = RAW_COLD.format(
        context=CONTEXT,
        threads=threads,
        top_p=SAMPLING.top_p,
        top_k=SAMPLING.top_k,
        min_p=SAMPLING.min_p,
        repeat_penalty=SAMPLING.repeat_penalty,
    )
    raw = [sys.executable, "-c", script, str(model)]
    ours = [str(Path(sys.executable).with_name("chi-llm")), "generate", "-m", "16", "-t", "0", "hi"]
    env = {**os.environ, "CHI_LLM_HOME": str(model.parent.parent), "CHI_LLM_CONTEXT": str(CONTEXT)}
    times: dict[str, list[float]] = {"raw": [], "ours": []}
    for rep in range(reps + 1):
        pairs = [("raw", raw), ("ours", ours)] if rep % 2 == 0 else [("ours", ours), ("raw", raw)]
        for name, command in pairs:
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, env=env)
            if rep:  # the first round warms the page cache
                times[name].append(time.perf_counter() - started)
    return statistics.median(times["raw"]), statistics.median(times["ours"])


def import_cost_ms() -> float:
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import chi_llm"], capture_output=True, text=True, check=True
    ).stderr
    line = next(x for x in out.splitlines() if x.rstrip().endswith("| chi_llm"))
    return int(line.split("|")[1]) / 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=200)
    args = parser.parse_args()

    from llama_cpp import Llama

    from chi_llm import MicroLLM
    from chi_llm.adapters.llama_cpp import LlamaCppGenerator
    from chi_llm.adapters.llama_cpp.load_defaults import physical_cores

    ours = MicroLLM(temperature=0.0, context=CONTEXT).load()
    backend = ours.backend
    assert isinstance(backend, LlamaCppGenerator)
    path = Path(backend.load().params.path)
    threads = physical_cores()
    raw = Llama(
        model_path=str(path), n_ctx=CONTEXT, n_threads=threads, n_threads_batch=threads, n_gpu_layers=0, verbose=False
    )
    runs: dict[str, Callable[[object, str, int], tuple[float, float, int]]] = {
        "raw llama-cpp-python stream": lambda _, p, m: raw_stream(raw, p, m),
        "MicroLLM.stream": lambda _, p, m: ours_stream(ours, p, m),
        "MicroLLM.generate": lambda _, p, m: ours_generate(ours, p, m),
    }
    results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in runs}
    names = list(runs)
    for name in names:  # warm-up
        runs[name](None, PROMPT.format(n="warm"), 16)
    for rep in range(args.reps):
        order = names if rep % 2 == 0 else names[::-1]  # interleaved, alternating order
        for name in order:
            results[name].append(runs[name](None, PROMPT.format(n=rep), args.max_tokens))

    print(
        f"chi_llm core benchmark — {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
        f"{threads} threads, model {path.name}, context {CONTEXT}, {args.reps} reps, greedy"
    )
    print(f"{'implementation':32} {'TTFT ms':>9} {'decode tok/s':>13} {'tokens':>7}")
    medians = {}
    for name, samples in results.items():
        ttft = statistics.median(s[0] for s in samples) * 1000
        rate = statistics.median(s[1] for s in samples)
        tokens = statistics.median(s[2] for s in samples)
        medians[name] = rate
        print(f"{name:32} {ttft:9.1f} {rate:13.1f} {tokens:7.0f}")
    baseline = medians["raw llama-cpp-python stream"]
    print(f"ratio MicroLLM.stream / raw:   {medians['MicroLLM.stream'] / baseline:.3f}")
    print(f"ratio MicroLLM.generate / raw: {medians['MicroLLM.generate'] / baseline:.3f}")
    print(f"import chi_llm (-X importtime, cumulative): {import_cost_ms():.1f} ms")
    python_start = wall([sys.executable, "-c", "pass"])
    print(
        f"python -c 'import chi_llm' wall: {wall([sys.executable, '-c', 'import chi_llm']) * 1000:.0f} ms "
        f"(bare interpreter start {python_start * 1000:.0f} ms)"
    )
    raw_cold, ours_cold = cold_start(path, threads, max(args.reps, 15))
    print(
        f"cold process, 'hi' in <= 16 greedy tokens: raw script {raw_cold * 1000:.0f} ms, "
        f"chi-llm generate {ours_cold * 1000:.0f} ms; "
        f"ratio {ours_cold / raw_cold:.2f}"
    )
    cli = str(Path(sys.executable).with_name("chi-llm"))
    print(
        f"chi-llm --help wall: {wall([cli, '--help']) * 1000:.0f} ms; "
        f"chi-llm --version wall: {wall([cli, '--version']) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
