"""Requests at the edges: a body nested 100,000 deep, an empty prompt, an upload cut off midway,
a model name that tries to forge log lines, an embedding request whose client left. Each is a
clean answer and a one-line log, never a 500 or a traceback."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from chi_llm.adapters.fake import FakeEmbedder
from chi_llm.entrypoints.server.logs import TextFormatter
from tests.support.raw_http import connect, head
from tests.support.serve import FAKE, Running, in_process

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Running]:
    with in_process(FAKE, tmp_path) as running:
        yield running


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert "Traceback" not in caplog.text


def access_entries(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [r.access for r in caplog.records if hasattr(r, "access")]


@pytest.mark.parametrize("depth", [100_000, 2_000])
def test_deeply_nested_json_is_a_400(served: Running, caplog: pytest.LogCaptureFixture, depth: int) -> None:
    body = b"[" * depth + b"]" * depth
    with caplog.at_level(logging.INFO, logger="chi_llm"):
        for path in ("/chat/completions", "/completions", "/embeddings"):
            answer = httpx.post(served.api + path, content=body, headers=JSON)
            assert answer.status_code == 400, path
            assert "nested" in answer.json()["error"]["message"] or "JSON object" in answer.json()["error"]["message"]
    no_tracebacks(caplog)


def test_an_empty_prompt_is_a_400(served: Running, caplog: pytest.LogCaptureFixture) -> None:
    api = openai.OpenAI(base_url=served.api, api_key="x", max_retries=0)
    with caplog.at_level(logging.INFO, logger="chi_llm"):
        for prompt in ("", [""]):
            with pytest.raises(openai.BadRequestError, match="prompt must not be empty") as refused:
                api.completions.create(model="fake", prompt=prompt)
            assert refused.value.param == "prompt"
    no_tracebacks(caplog)


def test_an_upload_cut_off_is_one_line(served: Running, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="chi_llm"):
        with connect(served.url) as sock:
            headers = {"Host": "localhost", **JSON, "Content-Length": "100000"}
            lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            sock.sendall(f"POST /v1/chat/completions HTTP/1.1\r\n{lines}\r\n".encode() + b'{"model": "fake", ')
            time.sleep(0.2)
        deadline = time.monotonic() + 5
        while not access_entries(caplog) and time.monotonic() < deadline:
            time.sleep(0.05)
    no_tracebacks(caplog)
    (entry,) = access_entries(caplog)
    assert entry["status"] == 499 and entry["outcome"] == "client_gone"
    assert len(caplog.records) == 1  # the access line is the whole story


def test_a_model_name_cannot_forge_log_lines(served: Running, caplog: pytest.LogCaptureFixture) -> None:
    forged = "fake\n2026-01-01T00:00:00 access request_id=req_forged status=200 model=admin"
    with caplog.at_level(logging.INFO, logger="chi_llm"):
        httpx.post(
            served.api + "/chat/completions", json={"model": forged, "messages": [{"role": "user", "content": "x"}]}
        )
        with connect(served.url) as sock:  # a path with a newline (percent-encoded) and a space
            sock.sendall(head("GET", "/v1/models%0Aaccess%20request_id=req_forged", {"Host": "localhost"}))
            sock.recv(65536)
        deadline = time.monotonic() + 5
        while len(access_entries(caplog)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    formatter = TextFormatter()
    for record in caplog.records:
        line = formatter.format(record)
        assert "\n" not in line and "\r" not in line
        assert "req_forged" not in line or '"' in line  # only inside a quoted, escaped value
    access = [formatter.format(r) for r in caplog.records if hasattr(r, "access")]
    unquoted = [re.sub(r'"(?:[^"\\]|\\.)*"', '""', line) for line in access]  # quoted values taken out
    assert all(line.count(" request_id=") == 1 for line in unquoted)


def test_text_log_values_are_quoted_when_they_need_it() -> None:
    record = logging.LogRecord("chi_llm.serve.access", logging.INFO, "", 0, "access", None, None)
    record.access = {"path": "/v1/models", "model": 'a b="c"\n', "client": "::1", "latency_ms": 1.5}
    line = TextFormatter().format(record)
    assert line.endswith('access path=/v1/models model="a b=\\"c\\"\\n" client=::1 latency_ms=1.5')


async def test_embeddings_stop_when_the_client_leaves(tmp_path: Path) -> None:
    with in_process(FAKE, tmp_path) as running:
        embedder, gate = running.state.embedder(None)
        assert isinstance(embedder, FakeEmbedder)
        calls: list[int] = []
        real = embedder.embed_documents

        def slow(texts: Sequence[str]) -> list[list[float]]:
            calls.append(len(texts))
            time.sleep(0.05)
            return real(texts)

        embedder.embed_documents = slow  # type: ignore[method-assign]
        texts = [f"text number {i}" for i in range(2000)]  # 2000 texts: seconds of work in full
        async with httpx.AsyncClient(timeout=0.3) as client:
            with pytest.raises(httpx.ReadTimeout):
                await client.post(running.api + "/embeddings", json={"input": texts})
        await asyncio.sleep(0.3)
        stopped = sum(calls)
        await asyncio.sleep(0.5)
        assert sum(calls) == stopped < len(texts)
        assert gate.active == 0
        began = time.monotonic()
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.post(running.api + "/embeddings", json={"input": "alpha"})
        assert answer.status_code == 200 and time.monotonic() - began < 2.0  # the whole job: 3 s
        assert threading.active_count() < 50, sorted(t.name for t in threading.enumerate())


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json_and_are_a_400(
    served: Running, caplog: pytest.LogCaptureFixture, constant: str
) -> None:
    """Python's json reads them; the answer (which echoes metadata and tools) could not be written."""
    bodies = {
        "/responses": '{"model":"fake","input":"hi","metadata":{"a":%s}}',
        "/messages": '{"model":"fake","max_tokens":8,"messages":[{"role":"user","content":"hi"}],"temperature":%s}',
        "/chat/completions": '{"model":"fake","messages":[{"role":"user","content":"hi"}],"temperature":%s}',
    }
    with caplog.at_level(logging.INFO, logger="chi_llm"):
        for path, body in bodies.items():
            answer = httpx.post(served.api + path, content=(body % constant).encode(), headers=JSON)
            assert answer.status_code == 400, path
            said = answer.json()["error"]["message"]
            assert "not valid JSON" in said and constant.lstrip("-") in said, path
    no_tracebacks(caplog)
