"""`chi-llm serve` for tests: in-process on 127.0.0.1:0 in a thread (exact, fast), or as the
real command in a subprocess (signals, start-up refusals, the acceptance run)."""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from chi_llm.entrypoints.server.runner import ChiServer, address, build
from chi_llm.entrypoints.server.state import ServeOptions, ServerState

FAKE = {"providers": [{"id": "fake", "type": "fake"}], "default_provider": "fake", "rag": {"embedding_model": "fake"}}


def write_config(folder: Path, values: Mapping[str, Any]) -> Path:
    path = folder / "serve-config.json"
    path.write_text(json.dumps(values), encoding="utf-8")
    return path


@dataclass
class Running:
    url: str  # http://127.0.0.1:PORT (the API is under /v1)
    server: ChiServer

    @property
    def state(self) -> ServerState:
        return self.server.chi

    @property
    def api(self) -> str:
        return self.url + "/v1"


@contextmanager
def in_process(config: Mapping[str, Any], folder: Path, **options: Any) -> Iterator[Running]:
    """A server on a fresh port for one test, stopped (gracefully) when the test ends."""
    base = ServeOptions(host="127.0.0.1", port=0, preload=False, config_path=write_config(folder, config))
    server, sock = build(replace(base, **options), os.environ)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.01)
    try:
        yield Running(url=address(sock), server=server)
    finally:
        server.should_exit = True
        thread.join(timeout=60)


LISTENING = re.compile(r"listening on (http://\S+)/v1")


@dataclass
class Process:
    process: subprocess.Popen[str]
    url: str
    errors: list[str] = field(
        default_factory=list
    )  # stderr so far, read as it comes (a full pipe would stall the server)

    def __post_init__(self) -> None:
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.errors.append(line)

    @property
    def api(self) -> str:
        return self.url + "/v1"

    def stop(self, timeout: float = 60) -> tuple[int, str]:
        """SIGTERM, wait; (exit status, stderr)."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=10)
        return self.process.returncode, "".join(self.errors)


@contextmanager
def subprocess_server(
    *args: str,
    env: Mapping[str, str] | None = None,
    start_timeout: float = 120,
    limits: Mapping[int, int] | None = None,
) -> Iterator[Process]:
    """`python -m chi_llm serve --port 0 ARGS`, its URL read from the line it prints; `limits`
    are resource limits for the server process ({resource.RLIMIT_AS: bytes, ...})."""
    command = [sys.executable, "-m", "chi_llm", "serve", "--port", "0", *args]

    def limited() -> None:
        for kind, value in (limits or {}).items():
            resource.setrlimit(kind, (value, value))

    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(env or os.environ),
        preexec_fn=limited if limits else None,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + start_timeout
    url = None
    while url is None and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        found = LISTENING.search(line)
        url = found.group(1) if found else None
    if url is None:
        process.kill()
        _, err = process.communicate()
        raise RuntimeError(f"chi-llm serve did not start: {err[-2000:]}")
    running = Process(process=process, url=url)
    try:
        yield running
    finally:
        running.stop()


LOCAL = {"providers": [{"id": "local", "type": "local"}], "default_provider": "local", "context": 2048}


@contextmanager
def local_model_server(model_path: Path, folder: Path, **limits: Any) -> Iterator[Process]:
    """`chi-llm serve` as a subprocess on the embedded model at `model_path` (its cache folder is
    CHI_LLM_HOME), context 2048; `limits` go to subprocess_server."""
    path = write_config(folder, LOCAL)
    env = {**os.environ, "CHI_LLM_HOME": str(model_path.parent.parent)}
    with subprocess_server("--config", str(path), env=env, **limits) as server:
        yield server
