"""The per-request cost of each wire format of `chi-llm serve` (issue 27): OpenAI chat
completions, OpenAI Responses (`/v1/responses`) and Anthropic Messages (`/v1/messages`), on the
fake backend (no model: what is measured is the server's own work), whole and streamed answers,
4 clients, one server, the formats' order rotating round by round. Reported per format: requests
per second (median of the rounds), the ratio to chat completions measured in the same rounds,
and the milliseconds per request over it.

Usage: .venv/bin/python benchmarks/serve_wire.py [--rounds 5] [--requests 300]
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import free_port, started  # type: ignore[import-not-found]

USER = {"role": "user", "content": "one two three"}
FORMATS: dict[str, tuple[str, dict[str, Any]]] = {
    "chat completions": ("/v1/chat/completions", {"model": "fake", "messages": [USER]}),
    "responses": ("/v1/responses", {"model": "fake", "input": "one two three"}),
    "messages": ("/v1/messages", {"model": "fake", "max_tokens": 64, "messages": [USER]}),
}


def rate(client: httpx.Client, url: str, body: dict[str, Any], requests: int) -> float:
    def one(_: int) -> None:
        answer = client.post(url, json=body)
        answer.raise_for_status()
        if body.get("stream"):
            assert answer.text.strip()

    started_at = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, range(requests)))
    return requests / (time.perf_counter() - started_at)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    print(
        f"chi-llm serve wire formats — {time.strftime('%Y-%m-%d %H:%M')}, "
        f"{platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} logical CPUs, load average {os.getloadavg()[0]:.2f}; fake backend, "
        f"{args.requests} requests x {args.rounds} rounds, 4 clients"
    )
    config = {"providers": [{"id": "fake", "type": "fake"}], "default_provider": "fake"}
    with tempfile.TemporaryDirectory() as folder:
        settings = Path(folder) / "fake.json"
        settings.write_text(json.dumps(config), encoding="utf-8")
        port = free_port()
        command = [sys.executable, "-m", "chi_llm", "serve", "--port", str(port), "--config", str(settings)]
        with started(command, port, dict(os.environ)) as url, httpx.Client(timeout=60) as client:
            for stream in (False, True):
                names = list(FORMATS)
                rates: dict[str, list[float]] = {name: [] for name in names}
                for path, body in FORMATS.values():  # warm up
                    rate(client, url + path, {**body, "stream": stream}, 30)
                for r in range(args.rounds):
                    for name in names[r % len(names) :] + names[: r % len(names)]:
                        path, body = FORMATS[name]
                        rates[name].append(rate(client, url + path, {**body, "stream": stream}, args.requests))
                print("streamed:" if stream else "whole answers:")
                chat = rates["chat completions"]
                for name in names:
                    value = statistics.median(rates[name])
                    ratio = statistics.median(a / b for a, b in zip(rates[name], chat, strict=True))
                    over = 1000 / value - 1000 / statistics.median(chat)
                    print(f"  {name:17} {value:7.0f} req/s  {ratio:5.2f}x chat's  {over:+6.2f} ms/request")


if __name__ == "__main__":
    main()
