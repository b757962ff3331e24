"""`chi-llm serve` as a process: start-up refusals, JSON logs, and SIGTERM finishing (or, past
the grace period, cleanly ending) the streams in flight."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.support.serve import FAKE, subprocess_server, write_config

CHAT = {"model": "fake", "stream": True, "messages": [{"role": "user", "content": "go"}]}


def fake_config(folder: Path, words: int, delay: float) -> Path:
    reply = " ".join(f"w{i}" for i in range(words))
    return write_config(
        folder, {**FAKE, "providers": [{"id": "fake", "type": "fake", "token_delay": delay, "replies": [reply]}]}
    )


def read_stream(url: str, out: list[str], started: threading.Event) -> None:
    with httpx.stream("POST", url + "/v1/chat/completions", json=CHAT, timeout=60) as response:
        for line in response.iter_lines():
            if line:
                out.append(line)
                started.set()


def test_beyond_loopback_without_a_key_refuses_to_start() -> None:
    env = {k: v for k, v in os.environ.items() if k != "CHI_LLM_SERVE_API_KEY"}
    done = subprocess.run(
        [sys.executable, "-m", "chi_llm", "serve", "--host", "0.0.0.0", "--port", "0"],  # noqa: S104 (refused before binding)
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode != 0
    assert "without an API key" in done.stderr and "--api-key-file" in done.stderr
    assert "Traceback" not in done.stderr


def test_sigterm_lets_a_stream_in_flight_finish(tmp_path: Path) -> None:
    config = fake_config(tmp_path, words=30, delay=0.05)
    with subprocess_server("--config", str(config), "--grace", "20", "--json-logs") as server:
        lines: list[str] = []
        started = threading.Event()
        reader = threading.Thread(target=read_stream, args=(server.url, lines, started))
        reader.start()
        assert started.wait(30)
        code, err = server.stop()
        reader.join(30)
    assert code == 0
    assert lines[-1] == "data: [DONE]"
    text = "".join(json.loads(x[6:])["choices"][0]["delta"].get("content") or "" for x in lines[:-1] if "choices" in x)
    assert text.split() == [f"w{i}" for i in range(30)]
    entries = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert len(entries) == len(err.splitlines())  # --json-logs: every line is one JSON object
    access = [e for e in entries if e.get("event") == "access"]
    assert access[-1]["status"] == 200 and access[-1]["completion_tokens"] == 30 and access[-1]["model"] == "fake"
    assert "go" not in {e.get("message") for e in entries}


def test_past_the_grace_period_streams_end_with_an_error_event(tmp_path: Path) -> None:
    config = fake_config(tmp_path, words=2000, delay=0.02)
    with subprocess_server("--config", str(config), "--grace", "0.5") as server:
        lines: list[str] = []
        started = threading.Event()
        reader = threading.Thread(target=read_stream, args=(server.url, lines, started))
        reader.start()
        assert started.wait(30)
        began = time.monotonic()
        code, _ = server.stop()
        reader.join(30)
    assert code == 0 and time.monotonic() - began < 15
    last = json.loads(lines[-1][6:])
    assert last["error"]["code"] == "shutting_down"
    assert len(lines) < 2000
