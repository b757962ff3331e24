"""HTTP providers under faults: cut streams, malformed chunks, slow servers, 429s; pooling and async scale."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.adapters.providers.http.transport import HttpTransport, backoff_seconds
from chi_llm.adapters.providers.ollama import OllamaGenerator
from chi_llm.adapters.providers.openai_compatible import OpenAICompatibleGenerator
from chi_llm.domain.errors import (
    BackendUnavailable,
    ChiLlmError,
    GenerationFailed,
    MissingCredentials,
    RateLimited,
)
from chi_llm.domain.generation import GenerationOptions, GenerationRequest
from chi_llm.domain.messages import Message
from tests.support.servers.base import Server, serve
from tests.support.servers.ollama import OllamaHandler
from tests.support.servers.openai import OpenAIHandler

REQUEST = GenerationRequest(
    messages=(Message(role="user", content="tell me a long story " * 5),), options=GenerationOptions(max_tokens=40)
)


@pytest.fixture
def openai_server() -> Iterator[Server]:
    engine = FakeTextGenerator(models=("m",), token_delay=0.002)
    with serve(OpenAIHandler, Server(engine=engine, api_key="sk-secret-123")) as server:
        yield server


def openai(server: Server, key: str = "sk-secret-123", **transport: Any) -> OpenAICompatibleGenerator:
    options = {"max_retries": 2, **transport}
    return OpenAICompatibleGenerator(
        HttpTransport(
            backend="openai", base_url=server.url + "/v1", headers={"Authorization": f"Bearer {key}"}, **options
        ),
        model="m",
    )


def idle(adapter: Any) -> bool:
    """No pooled connection is still checked out (nothing leaked)."""
    pool = adapter.transport.client._transport._pool
    return all(c.is_idle() or c.is_closed() for c in pool.connections)


def test_server_closing_mid_stream(openai_server: Server) -> None:
    openai_server.faults.close_after_chunks = 3
    adapter = openai(openai_server)
    with pytest.raises(BackendUnavailable):
        list(adapter.stream(REQUEST))
    assert idle(adapter)
    assert adapter.generate(REQUEST).text  # the client recovers on a fresh connection


def test_malformed_chunk(openai_server: Server) -> None:
    openai_server.faults.malformed_after_chunks = 2
    adapter = openai(openai_server)
    with pytest.raises(GenerationFailed, match="malformed"):
        list(adapter.stream(REQUEST))
    assert idle(adapter)


def test_too_slow_is_a_read_timeout(openai_server: Server) -> None:
    openai_server.faults.delay_seconds = 1.0
    adapter = openai(openai_server, read_timeout=0.2)
    with pytest.raises(BackendUnavailable, match="timed out"):
        adapter.generate(REQUEST)


def test_429_with_retry_after_is_retried(openai_server: Server) -> None:
    openai_server.faults.rate_limit_times = 2
    openai_server.faults.retry_after = "0.1"
    assert openai(openai_server).generate(REQUEST).text
    assert sum(1 for r in openai_server.requests if r["path"].endswith("/chat/completions")) == 3


def test_429_forever_becomes_rate_limited(openai_server: Server) -> None:
    openai_server.faults.rate_limit_times = 10
    adapter = openai(openai_server, max_retries=1)
    with pytest.raises(RateLimited):
        list(adapter.stream(REQUEST))
    assert idle(adapter)


def test_5xx_is_retried_then_unavailable(openai_server: Server) -> None:
    openai_server.faults.server_error_times = 1
    assert openai(openai_server).generate(REQUEST).text
    openai_server.faults.server_error_times = 5
    with pytest.raises(BackendUnavailable):
        openai(openai_server, max_retries=1).generate(REQUEST)


def test_backoff_honours_retry_after_and_caps_jitter() -> None:
    assert backoff_seconds(0, "3") == 3.0
    assert all(0 <= backoff_seconds(a, None) <= min(20.0, 0.5 * 2**a) for a in range(8))


def test_connection_refused_is_unavailable() -> None:
    adapter = OpenAICompatibleGenerator(HttpTransport(backend="openai", base_url="http://127.0.0.1:9/v1"), model="m")
    with pytest.raises(BackendUnavailable, match="not reachable"):
        adapter.generate(REQUEST)


def test_wrong_key_is_missing_credentials_and_never_echoed(openai_server: Server) -> None:
    with pytest.raises(MissingCredentials) as error:
        openai(openai_server, key="sk-wrong-987").generate(REQUEST)
    assert "sk-wrong-987" not in str(error.value) and "sk-secret-123" not in str(error.value)


def test_connections_are_reused(openai_server: Server) -> None:
    adapter = openai(openai_server)
    for _ in range(5):
        adapter.generate(REQUEST)
        list(adapter.stream(REQUEST))
    assert len(openai_server.connections) == 1


async def test_hundred_concurrent_async_generations_on_one_loop(
    openai_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    adapter = openai(openai_server)
    started: list[str] = []
    real_start = threading.Thread.start

    def recording_start(thread: threading.Thread) -> None:
        started.append(thread.name)
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", recording_start)
    completions = await asyncio.wait_for(asyncio.gather(*(adapter.agenerate(REQUEST) for _ in range(100))), timeout=120)
    assert len(completions) == 100 and all(c.text for c in completions)
    # Every thread started during the run is recorded, however briefly it lived: none is ours.
    assert not [name for name in started if name.startswith("chi_llm")]


def test_ollama_sends_num_ctx_and_refuses_overlong_prompts() -> None:
    engine = FakeTextGenerator(models=("m",), context=100)
    with serve(OllamaHandler, Server(engine=engine)) as server:
        adapter = OllamaGenerator(HttpTransport(backend="ollama", base_url=server.url), model="m", context=2048)
        adapter.generate(REQUEST)
        assert server.requests[-1]["body"]["options"]["num_ctx"] == 2048
        long = GenerationRequest(messages=(Message(role="user", content="word " * 5000),))
        from chi_llm.domain.errors import ContextLengthExceeded

        with pytest.raises(ContextLengthExceeded):
            adapter.generate(long)
        assert len(server.requests) == 1  # refused before sending anything


def test_a_redirect_to_another_port_is_not_followed(openai_server: Server) -> None:
    engine = FakeTextGenerator(models=("m",))
    with serve(OpenAIHandler, Server(engine=engine, api_key="sk-secret-123")) as front:
        front.faults.redirect_to = openai_server.url  # a real server answers there
        adapter = openai(front)
        with pytest.raises(BackendUnavailable, match="redirect") as error:
            adapter.generate(REQUEST)
        with pytest.raises(BackendUnavailable, match="redirect"):
            list(adapter.stream(REQUEST))
    assert openai_server.url in str(error.value) and "base_url" in str(error.value)
    assert openai_server.requests == []  # the key never went to the other address


DEEP = "[" * 100_000 + "]" * 100_000  # deeper than Python's JSON parser can read


@pytest.mark.parametrize(
    ("status", "body"),
    [(200, DEEP), (400, DEEP), (200, f"data: {DEEP}\n\n")],
    ids=["answer", "error-body", "stream-chunk"],
)
def test_json_nested_deeper_than_the_parser_is_a_clear_error(status: int, body: str) -> None:
    """A provider (or whatever listens at base_url) answering JSON nested 100,000 deep: a
    ChiLlmError that says what came back, never a RecursionError."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Deep(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            data = body.encode()
            self.send_response(status)
            kind = "text/event-stream" if body.startswith("data:") else "application/json"
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST

    server = ThreadingHTTPServer(("127.0.0.1", 0), Deep)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        transport = HttpTransport(backend="openai", base_url=f"http://127.0.0.1:{server.server_address[1]}/v1")
        adapter = OpenAICompatibleGenerator(transport, model="m")
        with pytest.raises(ChiLlmError):
            adapter.generate(REQUEST)
        with pytest.raises(ChiLlmError):
            list(adapter.stream(REQUEST))
        with pytest.raises(ChiLlmError):
            transport.request_json("GET", "/models")
    finally:
        server.shutdown()
        server.server_close()
