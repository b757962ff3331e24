"""Core benchmark: chi_llm against raw llama-cpp-python on the embedded default model, and
start-up cost.

Each round runs, in alternating order, raw llama-cpp-python and chi_llm on separate, equally
warm model instances with identical settings (context, threads, the catalog's sampling, greedy):
streamed (time to first text and decode rate, both from the caller's clock) and whole (wall
time). Every prompt starts with a head unique to its round and side, so no side is served from
a cache; generated tokens are counted the same way on both sides (the text re-tokenized). A
round during which the CPU was under pressure from elsewhere (/proc/pressure/cpu) is dropped.
Reported: the median of the per-round ratios, with min and max. Usage:

    .venv/bin/python benchmarks/bench_core.py [--reps 10] [--max-tokens 200]
    .venv/bin/python benchmarks/bench_core.py --cold-only [--versus OTHER_CHECKOUT]

`--cold-only` runs only the start-up rows (cold process, `--help`); `--versus` adds the same rows
for another checkout of chi_llm (its folder first on PYTHONPATH), interleaved with this one's in
the same run: cold start before and after a change.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from chi_llm.adapters.models.catalog import YamlModelCatalog
from chi_llm.domain.models.spec import Sampling


def recommended() -> Sampling:
    """The default model's catalog sampling, which MicroLLM uses for what a call leaves unset."""
    catalog = YamlModelCatalog()
    return catalog.get(catalog.default_id).sampling or Sampling()


SAMPLING = recommended()
PROMPT = "Write a long, detailed story about a lighthouse keeper and a storm."
CONTEXT = 4096
RAW: dict[str, Any] = {
    "temperature": 0.0,
    "top_p": SAMPLING.top_p,
    "top_k": SAMPLING.top_k,
    "min_p": SAMPLING.min_p,
    "repeat_penalty": SAMPLING.repeat_penalty,
    "seed": 1,
}


def counted(llm: Any, text: str) -> int:
    """Tokens in `text` by the model's tokenizer: one count for both sides."""
    return len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))


def raw_stream(llm: Any, prompt: str, max_tokens: int) -> tuple[float, float]:
    """(time to first text, decode tokens/s) of llama-cpp-python's own streaming."""
    started = time.perf_counter()
    first = last = 0.0
    pieces: list[str] = []
    messages = [{"role": "user", "content": prompt}]
    for chunk in llm.create_chat_completion(messages=messages, stream=True, max_tokens=max_tokens, **RAW):
        text = chunk["choices"][0]["delta"].get("content")
        if text:
            last = time.perf_counter()
            first = first or last
            pieces.append(text)
    return first - started, (counted(llm, "".join(pieces)) - 1) / (last - first)


def ours_stream(llm: Any, tokenizer: Any, prompt: str, max_tokens: int) -> tuple[float, float]:
    started = time.perf_counter()
    first = last = 0.0
    pieces: list[str] = []
    for text in llm.stream(prompt, max_tokens=max_tokens, temperature=0.0, seed=1):
        last = time.perf_counter()
        first = first or last
        pieces.append(text)
    return first - started, (counted(tokenizer, "".join(pieces)) - 1) / (last - first)


def raw_whole(llm: Any, prompt: str, max_tokens: int) -> float:
    started = time.perf_counter()
    llm.create_chat_completion(messages=[{"role": "user", "content": prompt}], max_tokens=max_tokens, **RAW)
    return time.perf_counter() - started


def ours_whole(llm: Any, prompt: str, max_tokens: int) -> float:
    started = time.perf_counter()
    llm.generate(prompt, max_tokens=max_tokens, temperature=0.0, seed=1)
    return time.perf_counter() - started


def cpu_stall_us() -> int | None:
    """Microseconds some task waited for a CPU, since boot (None without PSI)."""
    try:
        line = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except (OSError, IndexError):
        return None
    return int(line.rsplit("total=", 1)[1])


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


ROOT = Path(__file__).resolve().parents[1]  # the checkout this script belongs to


def cold_start(model: Path, threads: int, reps: int, versus: Path | None = None) -> dict[str, float]:
    """Median wall time of a new process answering "hi" in at most 16 tokens: a minimal
    llama-cpp-python script (context 4096) against `chi-llm generate -m 16 -t 0 hi` with the same
    context configured ("ours"), and as a user runs it, context unset, so sized to the request
    ("ours sized"); `chi-llm --help` ("help"). With `versus`, the same three commands from that
    checkout ("... before"). Same model and threads, greedy; interleaved, the first round dropped."""
    import os

    script = RAW_COLD.format(
        context=CONTEXT,
        threads=threads,
        top_p=SAMPLING.top_p,
        top_k=SAMPLING.top_k,
        min_p=SAMPLING.min_p,
        repeat_penalty=SAMPLING.repeat_penalty,
    )
    ours = [str(Path(sys.executable).with_name("chi-llm")), "generate", "-m", "16", "-t", "0", "hi"]
    base = {k: v for k, v in os.environ.items() if k != "CHI_LLM_CONTEXT"}
    home = {"CHI_LLM_HOME": str(model.parent.parent), "PYTHONPATH": str(ROOT)}
    small = RAW_COLD.format(
        context=512,  # llama-cpp-python's own default n_ctx
        threads=threads,
        top_p=SAMPLING.top_p,
        top_k=SAMPLING.top_k,
        min_p=SAMPLING.min_p,
        repeat_penalty=SAMPLING.repeat_penalty,
    )
    runs = {
        "raw": ([sys.executable, "-c", script, str(model)], {**base, **home}),
        "raw 512": ([sys.executable, "-c", small, str(model)], {**base, **home}),
        "ours": (ours, {**base, **home, "CHI_LLM_CONTEXT": str(CONTEXT)}),
        "ours sized": (ours, {**base, **home}),
        "help": ([ours[0], "--help"], {**base, **home}),
    }
    if versus is not None:
        other = {**home, "PYTHONPATH": str(versus)}
        runs["ours before"] = (ours, {**base, **other, "CHI_LLM_CONTEXT": str(CONTEXT)})
        runs["ours sized before"] = (ours, {**base, **other})
        runs["help before"] = ([ours[0], "--help"], {**base, **other})
    times: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    for rep in range(reps + 1):
        for name in names if rep % 2 == 0 else names[::-1]:
            command, env = runs[name]
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, env=env)
            if rep:  # the first round warms the page cache
                times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def import_cost_ms() -> float:
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import chi_llm"], capture_output=True, text=True, check=True
    ).stderr
    line = next(x for x in out.splitlines() if x.rstrip().endswith("| chi_llm"))
    return int(line.split("|")[1]) / 1000


def rounds(reps: int, max_tokens: int, run: dict[str, Any]) -> tuple[list[dict[str, float]], int]:
    """Per-round ratios (ours over raw: TTFT, decode rate, whole wall time); rounds dropped."""
    kept: list[dict[str, float]] = []
    dropped = 0
    for rep in range(reps):
        stall, started = cpu_stall_us(), time.perf_counter()
        order = ["raw", "ours"] if rep % 2 == 0 else ["ours", "raw"]
        stream, whole = {}, {}
        for side in order:
            stream[side] = run[side + "_stream"](f"[{rep} {side} s] {PROMPT}", max_tokens)
            whole[side] = run[side + "_whole"](f"[{rep} {side} w] {PROMPT}", max_tokens)
        after = cpu_stall_us()
        # Our own decode threads wait for the CPU now and then; more than a tenth of the round
        # spent waiting means something else ran.
        if stall is not None and after is not None and (after - stall) / 1e6 > 0.1 * (time.perf_counter() - started):
            dropped += 1
            continue
        kept.append(
            {
                "ttft": stream["ours"][0] / stream["raw"][0],
                "rate": stream["ours"][1] / stream["raw"][1],
                "whole": whole["ours"] / whole["raw"],
                "raw_ttft": stream["raw"][0],
                "ours_ttft": stream["ours"][0],
                "raw_rate": stream["raw"][1],
                "ours_rate": stream["ours"][1],
            }
        )
    return kept, dropped


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} (min {min(values):.3f}, max {max(values):.3f})"


def paired_sides(context: int) -> tuple[dict[str, Any], Path, int]:
    """Raw llama-cpp-python and MicroLLM on the default model, equally warm, with the same context
    and threads: ({raw,ours}_{stream,whole}: (prompt, max_tokens) -> result, model path, threads)."""
    from llama_cpp import Llama

    from chi_llm import MicroLLM
    from chi_llm.adapters.llama_cpp import LlamaCppGenerator
    from chi_llm.adapters.llama_cpp.load_defaults import physical_cores

    ours = MicroLLM(temperature=0.0, context=context).load()
    backend = ours.backend
    assert isinstance(backend, LlamaCppGenerator)
    path = Path(backend.load().params.path)
    threads = physical_cores()
    raw = Llama(
        model_path=str(path), n_ctx=context, n_threads=threads, n_threads_batch=threads, n_gpu_layers=0, verbose=False
    )
    # llama.cpp's CPU thread pools belong to the calling thread, and an idle pool still spins a
    # while: two decoding threads slow each other down. So raw runs on the thread that decodes
    # for MicroLLM (its scheduler's, between steps; timed there), and both sides share one pool.
    scheduler = backend.load().scheduler

    def on_decode_thread(call: Any) -> Any:
        return scheduler.call(call)

    run = {
        "raw_stream": lambda p, m: on_decode_thread(lambda: raw_stream(raw, p, m)),
        "ours_stream": lambda p, m: ours_stream(ours, raw, p, m),
        "raw_whole": lambda p, m: on_decode_thread(lambda: raw_whole(raw, p, m)),
        "ours_whole": lambda p, m: ours_whole(ours, p, m),
    }
    for name in run:  # equally warm: each side has loaded, evaluated and decoded before
        run[name](f"[warm {name}] {PROMPT}", 16)
    return run, path, threads


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--max-tokens", type=int, default=200)
    parser.add_argument("--cold-only", action="store_true", help="only the start-up rows")
    parser.add_argument("--versus", type=Path, help="another checkout whose start-up rows run beside these")
    args = parser.parse_args()
    if args.cold_only:
        cold_rows(args.reps, args.versus)
        return
    run, path, threads = paired_sides(CONTEXT)
    kept, dropped = rounds(args.reps, args.max_tokens, run)
    if not kept:
        raise SystemExit(f"every one of {args.reps} rounds ran under CPU pressure from elsewhere; run it again")

    print(
        f"chi_llm core benchmark — {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
        f"{threads} threads, model {path.name}, context {CONTEXT}, greedy, {args.max_tokens} tokens, "
        f"{len(kept)} rounds kept of {args.reps} ({dropped} dropped for CPU pressure)"
    )
    print(
        f"raw stream:  TTFT {statistics.median(r['raw_ttft'] for r in kept) * 1000:.1f} ms, "
        f"{statistics.median(r['raw_rate'] for r in kept):.1f} tok/s"
    )
    print(
        f"ours stream: TTFT {statistics.median(r['ours_ttft'] for r in kept) * 1000:.1f} ms, "
        f"{statistics.median(r['ours_rate'] for r in kept):.1f} tok/s"
    )
    print(f"ratio decode rate, MicroLLM.stream / raw stream:  {summary([r['rate'] for r in kept])}")
    print(f"ratio TTFT, MicroLLM.stream / raw stream:         {summary([r['ttft'] for r in kept])}")
    print(f"ratio wall time, MicroLLM.generate / raw whole:   {summary([r['whole'] for r in kept])}")
    print(f"import chi_llm (-X importtime, cumulative): {import_cost_ms():.1f} ms")
    python_start = wall([sys.executable, "-c", "pass"])
    print(
        f"python -c 'import chi_llm' wall: {wall([sys.executable, '-c', 'import chi_llm']) * 1000:.0f} ms; "
        f"'from chi_llm import MicroLLM': "
        f"{wall([sys.executable, '-c', 'from chi_llm import MicroLLM']) * 1000:.0f} ms "
        f"(bare interpreter start {python_start * 1000:.0f} ms)"
    )
    cold_rows(args.reps, args.versus, path, threads)


def cold_rows(reps: int, versus: Path | None, path: Path | None = None, threads: int | None = None) -> None:
    from chi_llm.adapters.llama_cpp.load_defaults import physical_cores

    if path is None:  # the default model, where chi_llm keeps it (fetched first if need be)
        from chi_llm import ModelManager

        manager = ModelManager()
        path = Path(manager.get_model_path(manager.get_current_model().id))
    threads = threads or physical_cores()
    cold = cold_start(path, threads, max(reps, 15), versus)
    print(f"start-up rows — {time.strftime('%Y-%m-%d')}, {platform.machine()}, {threads} threads, model {path.name}")
    print(
        f"cold process, 'hi' in <= 16 greedy tokens: raw script {cold['raw'] * 1000:.0f} ms, "
        f"chi-llm generate {cold['ours'] * 1000:.0f} ms at the same context (ratio {cold['ours'] / cold['raw']:.2f}), "
        f"{cold['ours sized'] * 1000:.0f} ms with the context unset, sized to the request "
        f"(ratio {cold['ours sized'] / cold['raw']:.2f}); raw script at llama-cpp-python's default "
        f"n_ctx 512 {cold['raw 512'] * 1000:.0f} ms (ours sized / raw 512: {cold['ours sized'] / cold['raw 512']:.2f})"
    )
    print(f"chi-llm --help wall: {cold['help'] * 1000:.0f} ms")
    if versus is not None:
        print(f"before: {versus}; after: {ROOT}")
        for name in ("ours", "ours sized", "help"):
            before, after = cold[f"{name} before"], cold[name]
            print(f"{name}: before {before * 1000:.0f} ms, after {after * 1000:.0f} ms, ratio {after / before:.2f}")


if __name__ == "__main__":
    main()
