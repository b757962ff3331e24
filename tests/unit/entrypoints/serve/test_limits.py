"""Serving properly: API keys, body size, the per-model queue (429/503 with Retry-After), a
client that leaves stops decoding, exposure beyond loopback refused, the access log."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from chi_llm.domain.errors import ConfigError
from chi_llm.entrypoints.server.backends import Limits, Route
from chi_llm.entrypoints.server.checks import key_matches
from chi_llm.entrypoints.server.runner import check_exposure, read_api_keys
from chi_llm.entrypoints.server.state import ServeOptions
from tests.support.serve import FAKE, in_process
from tests.support.serve_clients import fake_backend as fake_of

LONG = " ".join(f"w{i}" for i in range(400))
SLOW = {**FAKE, "providers": [{"id": "fake", "type": "fake", "token_delay": 0.02, "replies": [LONG] * 20}]}
CHAT: Any = {"model": "fake", "messages": [{"role": "user", "content": "go"}]}


def test_api_key_required_and_compared(tmp_path: Path) -> None:
    with in_process(FAKE, tmp_path, api_keys=("key-one-123", "key-two-456")) as running:
        for key in (None, "wrong-key", "key-one-12"):
            headers = {"Authorization": f"Bearer {key}"} if key else {}
            answer = httpx.post(running.api + "/chat/completions", json=CHAT, headers=headers)
            assert answer.status_code == 401 and answer.json()["error"]["code"] == "invalid_api_key"
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(base_url=running.api, api_key="nope", max_retries=0).models.list()
        for key in ("key-one-123", "key-two-456"):
            good = openai.OpenAI(base_url=running.api, api_key=key, max_retries=0)
            assert good.chat.completions.create(model="fake", messages=CHAT["messages"]).choices
        assert httpx.get(running.url + "/health").status_code == 200  # health checks need no key


def test_key_matching_is_exact() -> None:
    assert key_matches("abc", ("x", "abc")) and not key_matches("ab", ("abc",)) and not key_matches("", ("abc",))
    assert not key_matches("abc", ())


def test_api_keys_from_file_and_environment(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    path.write_text("# team keys\nfirst-key-1\n\n  second-key-2  \n", encoding="utf-8")
    assert read_api_keys(path, {"CHI_LLM_SERVE_API_KEY": "env-key-3"}) == ("first-key-1", "second-key-2", "env-key-3")
    (tmp_path / "empty").write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="holds no key"):
        read_api_keys(tmp_path / "empty", {})
    with pytest.raises(ConfigError, match="cannot read the API key file"):
        read_api_keys(tmp_path / "missing", {})


def test_listening_beyond_loopback_needs_a_key() -> None:
    for host in ("0.0.0.0", "::", "192.168.1.10"):  # noqa: S104 (checked, never bound)
        with pytest.raises(ConfigError, match="without an API key"):
            check_exposure(ServeOptions(host=host))
        check_exposure(ServeOptions(host=host, api_keys=("k-123456",)))
    for host in ("127.0.0.1", "::1", "localhost", "127.0.0.2"):
        check_exposure(ServeOptions(host=host))


def test_body_size_limit_declared_or_streamed(tmp_path: Path) -> None:
    with in_process(FAKE, tmp_path, max_body_bytes=2048) as running:
        big = {"model": "fake", "messages": [{"role": "user", "content": "x" * 5000}]}
        answer = httpx.post(running.api + "/chat/completions", json=big)
        assert answer.status_code == 413 and "2048 bytes" in answer.json()["error"]["message"]

        def chunked() -> Any:
            yield b'{"model": "fake", "messages": [{"role": "user", "content": "'
            for _ in range(10):
                yield b"y" * 500
            yield b'"}]}'

        json_type = {"Content-Type": "application/json"}
        answer = httpx.post(running.api + "/chat/completions", content=chunked(), headers=json_type)
        assert answer.status_code == 413
        answer = httpx.post(running.api + "/chat/completions", content=b"{not json", headers=json_type)
        assert answer.status_code == 400 and "not valid JSON" in answer.json()["error"]["message"]


async def _first_bytes(client: httpx.AsyncClient, url: str, opened: list[Any]) -> httpx.Response:
    request = client.build_request("POST", url, json={**CHAT, "stream": True})
    response = await client.send(request, stream=True)
    opened.append(response)
    if response.status_code == 200:
        pieces = response.aiter_raw()
        opened.append(pieces)  # dropping the iterator would close the response
        await pieces.__anext__()
    return response


async def test_full_queue_is_429_and_a_long_wait_503_with_retry_after(tmp_path: Path) -> None:
    limits = Limits(parallel=1, queue=1, queue_timeout=0.5)
    with in_process(SLOW, tmp_path, limits=limits) as running:
        url = running.api + "/chat/completions"
        opened: list[Any] = []
        async with httpx.AsyncClient(timeout=30) as client:
            holder = await _first_bytes(client, url, opened)  # holds the one slot
            assert holder.status_code == 200
            waiting = asyncio.ensure_future(client.post(url, json=CHAT))  # queued
            await asyncio.sleep(0.2)
            refused = await client.post(url, json=CHAT)  # the queue is full
            assert refused.status_code == 429
            assert refused.json()["error"]["code"] == "queue_full" and int(refused.headers["Retry-After"]) >= 1
            timed_out = await waiting
            assert timed_out.status_code == 503 and timed_out.json()["error"]["code"] == "queue_timeout"
            assert int(timed_out.headers["Retry-After"]) >= 1
            for response in opened[::2]:
                await response.aclose()
        gate = running.state.backends.get(Route(provider="fake")).gate
        deadline = time.monotonic() + 5
        while gate.active and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert (gate.active, gate.waiting) == (0, 0)


async def test_a_client_that_leaves_stops_decoding(tmp_path: Path) -> None:
    with in_process(SLOW, tmp_path) as running:
        fake = fake_of(running)
        async with httpx.AsyncClient(timeout=30) as client:
            kept: list[Any] = []
            response = await _first_bytes(client, running.api + "/chat/completions", kept)
            await asyncio.sleep(0.2)
            assert fake.tokens_decoded > 3  # still decoding while the client is there
            await response.aclose()  # leave mid-stream
        await asyncio.sleep(0.5)
        stopped_at = fake.tokens_decoded
        await asyncio.sleep(0.5)
        assert fake.tokens_decoded == stopped_at < 100  # 400 words were scripted
        async with httpx.AsyncClient(timeout=0.3) as client:  # a whole answer: the client gives up
            with pytest.raises(httpx.ReadTimeout):
                await client.post(running.api + "/chat/completions", json=CHAT)
        await asyncio.sleep(0.5)
        stopped_at = fake.tokens_decoded
        await asyncio.sleep(0.5)
        assert fake.tokens_decoded == stopped_at
        assert running.state.backends.get(Route(provider="fake")).gate.active == 0


def test_access_log_has_ids_models_and_tokens_but_no_prompt_or_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    keys = ("secret-777",)
    with caplog.at_level(logging.INFO, logger="chi_llm"), in_process(FAKE, tmp_path, api_keys=keys) as running:
        answer = httpx.post(
            running.api + "/chat/completions",
            json={"model": "fake", "messages": [{"role": "user", "content": "my private words"}]},
            headers={"Authorization": "Bearer secret-777"},
        )
    entries = [r.access for r in caplog.records if hasattr(r, "access")]
    entry = next(e for e in entries if e["path"] == "/v1/chat/completions")
    assert entry["request_id"] == answer.headers["x-request-id"]
    assert (entry["status"], entry["model"], entry["provider"]) == (200, "fake", "fake")
    assert entry["completion_tokens"] == 4 and entry["latency_ms"] >= 0
    text = caplog.text + repr(entries)
    assert "private words" not in text and "secret-777" not in text


def test_keep_alive_requests_are_not_held_by_delayed_acks(tmp_path: Path) -> None:
    """Accepted connections get TCP_NODELAY (the listening socket must say IPPROTO_TCP)."""
    import socket

    from chi_llm.entrypoints.server.runner import bind

    listening = bind("127.0.0.1", 0)
    try:
        assert listening.proto == socket.IPPROTO_TCP
    finally:
        listening.close()


def test_browser_origins_only_when_allowed(tmp_path: Path) -> None:
    preflight = {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"}
    with in_process(FAKE, tmp_path, api_keys=("k-123456",), allow_origins=("http://localhost:3000",)) as running:
        answer = httpx.options(running.api + "/chat/completions", headers=preflight)
        assert answer.status_code == 200  # the preflight carries no key
        assert answer.headers["access-control-allow-origin"] == "http://localhost:3000"
        other = httpx.options(running.api + "/chat/completions", headers={**preflight, "Origin": "http://evil.test"})
        assert "access-control-allow-origin" not in other.headers
        refused = httpx.post(running.api + "/chat/completions", json=CHAT, headers={"Origin": "http://localhost:3000"})
        assert refused.status_code == 401  # CORS never replaces the key
    with in_process(FAKE, tmp_path) as running:  # no --allow-origin: a page's request is refused
        answer = httpx.post(running.api + "/chat/completions", json=CHAT, headers={"Origin": "http://localhost:3000"})
        assert answer.status_code == 403 and "access-control-allow-origin" not in answer.headers
