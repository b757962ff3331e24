"""Servers that never finish, send endless lines or huge bodies, or ask for long waits are cut
off with a clear error; provider settings are range-checked."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.adapters.providers.http import transport as transport_module
from chi_llm.adapters.providers.http.transport import HttpTransport
from chi_llm.adapters.providers.openai_compatible import OpenAICompatibleGenerator
from chi_llm.adapters.providers.registry import schemas
from chi_llm.domain.errors import BackendUnavailable, ConfigError, GenerationFailed, RateLimited
from chi_llm.domain.providers import check_profile
from tests.support.scripted_stream import REQUEST
from tests.support.servers.base import Server, serve
from tests.support.servers.openai import OpenAIHandler


class Endless:
    def __init__(self, pieces: Iterator[str]) -> None:
        self.pieces = pieces

    def iter_text(self) -> Iterator[str]:
        return self.pieces


class EndlessTransport(HttpTransport):
    def __init__(self, pieces: Iterator[str], total_timeout: float = 600.0) -> None:
        super().__init__(backend="openai", base_url="http://127.0.0.1:9", total_timeout=total_timeout)
        self.pieces = pieces

    @contextmanager
    def stream(self, method: str, path: str, **kwargs: Any) -> Iterator[Any]:
        yield Endless(self.pieces)


def trickle() -> Iterator[str]:
    while True:
        time.sleep(0.05)
        yield ": still here\n"


def test_a_server_trickling_forever_is_cut_off_at_total_timeout() -> None:
    adapter = OpenAICompatibleGenerator(EndlessTransport(trickle(), total_timeout=0.3), model="m")
    started = time.monotonic()
    with pytest.raises(BackendUnavailable, match="total_timeout"):
        list(adapter.stream(REQUEST))
    assert time.monotonic() - started < 5


def test_an_endless_line_is_refused_not_buffered() -> None:
    def one_line() -> Iterator[str]:
        while True:
            yield "x" * 65536

    adapter = OpenAICompatibleGenerator(EndlessTransport(one_line()), model="m")
    with pytest.raises(GenerationFailed, match="longer than"):
        list(adapter.stream(REQUEST))


@pytest.fixture
def server() -> Iterator[Server]:
    with serve(OpenAIHandler, Server(engine=FakeTextGenerator(["a b c"], models=("m",)))) as running:
        yield running


def openai(server: Server, retries: int = 2) -> OpenAICompatibleGenerator:
    return OpenAICompatibleGenerator(
        HttpTransport(backend="openai", base_url=server.url + "/v1", max_retries=retries), model="m"
    )


def test_a_huge_whole_answer_is_refused(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport_module, "MAX_BODY_BYTES", 64)
    with pytest.raises(BackendUnavailable, match="sent more than"):
        openai(server).generate(REQUEST)


def test_a_long_retry_after_is_an_error_not_a_hang(server: Server) -> None:
    server.faults.rate_limit_times, server.faults.retry_after = 5, "3600"
    started = time.monotonic()
    with pytest.raises(RateLimited, match="asks to wait 3600 s"):
        openai(server).generate(REQUEST)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"max_retries": -1}, "at least 0"),
        ({"read_timeout": -2.0}, "at least 0.1"),
        ({"base_url": "http://[::1"}, "URL"),
        ({"base_url": "ftp://host"}, "URL"),
        ({"context": -5}, "at least 16"),
    ],
)
def test_provider_settings_are_range_checked(settings: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        check_profile({"id": "o", "type": "openai", **settings}, schemas(), source="test")


def test_a_fake_with_replies_that_are_not_texts_is_refused() -> None:
    with pytest.raises(ConfigError, match="list of texts"):
        check_profile({"id": "f", "type": "fake", "replies": 5}, schemas(), source="test")
