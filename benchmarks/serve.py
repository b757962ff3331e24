"""`chi-llm serve` against llama-cpp-python's own OpenAI server, on the embedded default model.

1. Tokens/s: the same streamed chat request (greedy, same context, threads and max_tokens) sent
   to both servers, interleaved round by round (the order alternates), each started once and
   warmed up. Reported: decode tokens/s (after the first token) and end-to-end tokens/s, and the
   ratio chi-llm / llama-cpp-python. Goal: >= 1.0.
2. Overhead on the fake backend (no model): requests/s through `chi-llm serve` with 4 clients,
   whole and streamed answers, against the same fake called in-process; the difference is the
   HTTP layer's cost per request.

Usage: .venv/bin/python benchmarks/serve.py [--rounds 6] [--max-tokens 128] [--requests 400]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx

from chi_llm.adapters.llama_cpp.load_defaults import physical_cores

CONTEXT = 2048
PROMPT = [{"role": "user", "content": "Write a long story about a lighthouse keeper and a storm."}]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"a server exited early: {process.args!r}")
        try:
            if httpx.get(url + "/v1/models", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.3)
    raise SystemExit(f"no answer from {url}")


@contextmanager
def started(command: list[str], port: int, env: dict[str, str]) -> Iterator[str]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=60)


def timed_stream(
    url: str, model: str, max_tokens: int, messages: list[dict[str, str]] | None = None
) -> tuple[int, float, float]:
    """(completion tokens, seconds to the first token, seconds in all) for one streamed answer
    (of `messages`, by default PROMPT)."""
    body = {
        "model": model,
        "messages": messages or PROMPT,
        "max_tokens": max_tokens,
        "temperature": 0,
        "seed": 1,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    started_at = time.perf_counter()
    first: float | None = None
    pieces = 0
    tokens = None
    with httpx.stream("POST", url + "/v1/chat/completions", json=body, timeout=600) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            event = json.loads(line[6:])
            if event.get("usage"):
                tokens = event["usage"]["completion_tokens"]
            for choice in event.get("choices") or ():
                if (choice.get("delta") or {}).get("content"):
                    first = first if first is not None else time.perf_counter() - started_at
                    pieces += 1
    total = time.perf_counter() - started_at
    return (tokens if tokens is not None else pieces), first or total, total


def compare_tokens(rounds: int, max_tokens: int, model_path: Path) -> None:
    threads = str(physical_cores())
    home = os.environ.get("CHI_LLM_HOME", "")
    env = {**os.environ, "CHI_LLM_CONTEXT": str(CONTEXT), "CHI_LLM_THREADS": threads}
    llama_port, chi_port = free_port(), free_port()
    llama_cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path), "--host", "127.0.0.1"]
    llama_cmd += ["--port", str(llama_port), "--n_ctx", str(CONTEXT), "--n_threads", threads]
    llama_cmd += ["--n_threads_batch", threads, "--verbose", "False"]
    chi_cmd = [sys.executable, "-m", "chi_llm", "serve", "--port", str(chi_port)]
    print(f"model {model_path.name}, context {CONTEXT}, {threads} threads, max_tokens {max_tokens}, home {home}")
    with started(llama_cmd, llama_port, env) as llama_url, started(chi_cmd, chi_port, env) as chi_url:
        servers = {"llama-cpp-python server": (llama_url, "smollm2"), "chi-llm serve": (chi_url, "smollm2-135m")}
        for url, model in servers.values():
            timed_stream(url, model, 16)  # warm up: model loaded, caches touched
        decode: dict[str, list[float]] = {name: [] for name in servers}
        overall: dict[str, list[float]] = {name: [] for name in servers}
        counts: dict[str, list[int]] = {name: [] for name in servers}
        for index in range(rounds):
            order = list(servers) if index % 2 == 0 else list(reversed(servers))
            for name in order:
                url, model = servers[name]
                tokens, first, total = timed_stream(url, model, max_tokens)
                counts[name].append(tokens)
                decode[name].append((tokens - 1) / (total - first) if total > first and tokens > 1 else 0.0)
                overall[name].append(tokens / total)
    for name in servers:
        print(
            f"  {name:26s} decode {statistics.median(decode[name]):6.1f} tok/s   end-to-end "
            f"{statistics.median(overall[name]):6.1f} tok/s   ({statistics.median(counts[name]):.0f} tokens)"
        )
    ratio = statistics.median(decode["chi-llm serve"]) / statistics.median(decode["llama-cpp-python server"])
    ratio_all = statistics.median(overall["chi-llm serve"]) / statistics.median(overall["llama-cpp-python server"])
    print(f"  ratio chi-llm / llama-cpp-python: decode {ratio:.2f}, end-to-end {ratio_all:.2f} (goal >= 1.0)")


def rate(url: str, requests: int, stream: bool) -> float:
    body = {"model": "fake", "messages": [{"role": "user", "content": "one two three"}], "stream": stream}
    with httpx.Client(timeout=60, limits=httpx.Limits(max_connections=8)) as client:

        def one(_: int) -> None:
            answer = client.post(url + "/v1/chat/completions", json=body)
            answer.raise_for_status()

        started_at = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(one, range(requests)))
        return requests / (time.perf_counter() - started_at)


def compare_overhead(requests: int) -> None:
    from chi_llm import MicroLLM

    config = {"providers": [{"id": "fake", "type": "fake"}], "default_provider": "fake"}
    folder = Path(tempfile.mkdtemp())
    (folder / "fake.json").write_text(json.dumps(config), encoding="utf-8")
    llm = MicroLLM(provider={"type": "fake"})
    started_at = time.perf_counter()
    for _ in range(requests):
        llm.generate("one two three")
    direct = requests / (time.perf_counter() - started_at)
    port = free_port()
    command = [sys.executable, "-m", "chi_llm", "serve", "--port", str(port), "--config", str(folder / "fake.json")]
    with started(command, port, dict(os.environ)) as url:
        rate(url, 50, False)  # warm up
        whole = statistics.median(rate(url, requests, False) for _ in range(3))
        streamed = statistics.median(rate(url, requests, True) for _ in range(3))
    print(f"fake backend, {requests} requests, 4 clients:")
    print(f"  in-process MicroLLM.generate  {direct:8.0f} req/s")
    for label, value in (("whole answers", whole), ("streamed     ", streamed)):
        print(f"  chi-llm serve, {label}  {value:8.0f} req/s  ({1000 / value - 1000 / direct:.2f} ms/request over)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    from chi_llm import MicroLLM

    model_path = MicroLLM().backend.load().params.path  # type: ignore[attr-defined]
    cpu = re.sub(r"\s+", " ", platform.processor() or platform.machine())
    print(f"{time.strftime('%Y-%m-%d')} {platform.system()} {cpu}, {os.cpu_count()} logical CPUs")
    compare_tokens(args.rounds, args.max_tokens, Path(model_path))
    compare_overhead(args.requests)


if __name__ == "__main__":
    main()
