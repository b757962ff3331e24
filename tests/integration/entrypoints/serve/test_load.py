"""Load: many concurrent streaming clients (bounded, loopback) against a slow fake and against
the real local model. Nothing is lost: every stream completes or is cleanly refused (429 with
Retry-After), and the server's memory stays flat across rounds."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import httpx

from tests.support.serve import FAKE, subprocess_server, write_config

REPLY = " ".join(f"w{i}" for i in range(40))


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def one_stream(client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> tuple[str, str]:
    """("done", text) for a complete stream, ("refused", code) for a clean refusal."""
    async with client.stream("POST", url + "/v1/chat/completions", json={**body, "stream": True}) as response:
        if response.status_code != 200:
            payload = json.loads(await response.aread())
            assert response.status_code in (429, 503) and int(response.headers["Retry-After"]) >= 1
            return "refused", payload["error"]["code"]
        text, finished = [], False
        async for line in response.aiter_lines():
            if not line:
                continue
            if line == "data: [DONE]":
                finished = True
                break
            event = json.loads(line[6:])
            assert "error" not in event, event
            text += [c["delta"].get("content") or "" for c in event["choices"]]
        assert finished, "a stream ended without [DONE]"
        return "done", "".join(text)


async def round_of(url: str, clients: int, body: dict[str, Any]) -> list[tuple[str, str]]:
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(timeout=300, limits=limits) as client:
        return await asyncio.gather(*(one_stream(client, url, body) for _ in range(clients)))


def test_slow_fake_under_many_concurrent_streams(tmp_path: Path) -> None:
    config = {**FAKE, "providers": [{"id": "fake", "type": "fake", "token_delay": 0.01, "replies": []}]}
    body = {"model": "fake", "messages": [{"role": "user", "content": REPLY}]}
    path = write_config(tmp_path, config)
    args = ("--config", str(path), "--parallel", "8", "--queue", "16", "--queue-timeout", "60")
    with subprocess_server(*args) as server:
        sizes = []
        for _ in range(5):
            results = asyncio.run(round_of(server.url, 40, body))
            done = [text for kind, text in results if kind == "done"]
            refused = [code for kind, code in results if kind == "refused"]
            assert len(done) + len(refused) == 40
            assert len(done) >= 24  # 8 running + 16 queued always get through
            assert all(text == "Echo: " + REPLY for text in done)  # nothing lost, nothing mixed up
            assert set(refused) <= {"queue_full"} and refused  # 40 at once: the queue overflows
            sizes.append(rss_kib(server.process.pid))
        health = httpx.get(server.url + "/health").json()
    assert all(m["running"] == 0 and m["waiting"] == 0 for m in health["models"].values())
    assert sizes[-1] - sizes[1] < 20 * 1024, sizes  # flat after the first round warmed up


def test_real_model_serves_concurrent_streams_one_at_a_time(tmp_path: Path, default_model_path: Path) -> None:
    home = str(default_model_path.parent.parent)
    body = {
        "model": "smollm2-135m",
        "max_tokens": 16,
        "temperature": 0,
        "messages": [{"role": "user", "content": "Hi"}],
    }
    env = {**os.environ, "CHI_LLM_HOME": home}
    with subprocess_server("--queue", "8", env=env) as server:
        sizes = []
        for _ in range(3):
            results = asyncio.run(round_of(server.url, 6, body))
            assert [kind for kind, _ in results] == ["done"] * 6
            assert len({text for _, text in results}) == 1  # greedy: the same answer for each, none mixed
            sizes.append(rss_kib(server.process.pid))
    assert sizes[-1] - sizes[0] < 30 * 1024, sizes
