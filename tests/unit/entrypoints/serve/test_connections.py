"""Attacks on the connection itself, before any request reaches the app or the key check, through
raw sockets in bounded loops: huge and unfinished heads, too many headers, slowloris, slow
bodies, idle sockets, and more sockets than the server allows. The server answers (431, 408,
503) or closes, and stays available to the official client."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from chi_llm.entrypoints.server.connections import Closings, ConnectionLimits
from tests.support.raw_http import closed_within, connect, head, read_answer, send_until_refused
from tests.support.serve import FAKE, Running, in_process

FAST = ConnectionLimits(head_timeout=1.0, body_timeout=1.0, keep_alive=0.5, max_connections=12)
SLOW = {**FAKE, "providers": [{"id": "fake", "type": "fake", "token_delay": 0.05, "replies": ["w " * 400] * 20}]}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Running]:
    with in_process(SLOW, tmp_path, connections=FAST) as running:
        yield running


def still_serving(running: Running) -> None:
    api = openai.OpenAI(base_url=running.api, api_key="x", max_retries=0, timeout=10)
    answer = api.chat.completions.create(model="fake", messages=[{"role": "user", "content": "hi"}], max_tokens=2)
    assert answer.choices[0].message.content


def test_an_unfinished_huge_header_is_refused_with_431(served: Running) -> None:
    with connect(served.url) as sock:
        sent = send_until_refused(sock, b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: ", b"a" * 65536, 64 << 20)
        assert sent < 16 << 20  # refused long before 64 MiB were taken
        answer = read_answer(sock)
    assert answer.status == 431 and answer.json()["error"]["code"] == "headers_too_large"
    still_serving(served)


def test_a_long_request_line_is_refused(served: Running) -> None:
    with connect(served.url) as sock:
        send_until_refused(sock, b"GET /" + b"a" * 70000, b"b" * 65536, 32 << 20)
        assert read_answer(sock).status == 431


@pytest.mark.parametrize(("count", "size"), [(101, 10), (3, 30000)])
def test_too_many_or_too_large_headers_arriving_at_once(served: Running, count: int, size: int) -> None:
    headers = {"Host": "localhost", **{f"X-H{i}": "v" * size for i in range(count)}}
    with connect(served.url) as sock:
        sock.sendall(head("GET", "/health", headers))
        assert read_answer(sock).status == 431


def test_headers_within_the_limits_are_served(served: Running) -> None:
    headers = {"Host": "localhost", **{f"X-H{i}": "v" * 400 for i in range(90)}}
    with connect(served.url) as sock:
        sock.sendall(head("GET", "/health", {**headers, "Connection": "close"}))
        assert read_answer(sock).status == 200


def test_slowloris_is_cut_off_at_the_head_deadline(served: Running) -> None:
    with connect(served.url) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n")
        began = time.monotonic()
        closed = False
        for index in range(100):  # one header byte every 0.1 s: at most 10 s
            try:
                sock.sendall(b"X-Slow-%d: 1\r\n" % index)
            except OSError:
                closed = True
                break
            time.sleep(0.1)
        waited = time.monotonic() - began
        answer = read_answer(sock) if not closed else None
    assert waited < 5  # the head deadline is 1 s
    if answer is not None:
        assert answer.status == 408 and "1 s" in answer.json()["error"]["message"]


def test_an_idle_socket_and_an_idle_keep_alive_are_closed(served: Running) -> None:
    with connect(served.url) as sock:  # connects and sends nothing
        assert (closed_within(sock, 10) or 99) < 5
    with connect(served.url) as sock:
        sock.sendall(head("GET", "/health", {"Host": "localhost"}))
        assert read_answer(sock).status == 200
        assert (closed_within(sock, 10) or 99) < 5  # keep-alive 0.5 s


def test_a_slow_body_is_cut_off_at_the_body_deadline(served: Running) -> None:
    with connect(served.url) as sock:
        headers = {"Host": "localhost", "Content-Type": "application/json", "Content-Length": "1000"}
        lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall(f"POST /v1/chat/completions HTTP/1.1\r\n{lines}\r\n".encode() + b'{"model": ')
        began = time.monotonic()
        answer = None
        for _ in range(100):  # a byte every 0.1 s: at most 10 s
            try:
                sock.sendall(b" ")
            except OSError:
                break
            time.sleep(0.1)
            sock.settimeout(0.01)
            try:
                if sock.recv(1, socket.MSG_PEEK):
                    sock.settimeout(5)
                    answer = read_answer(sock)
                    break
            except TimeoutError:
                pass
        assert time.monotonic() - began < 5
    assert answer is not None and answer.status == 408
    assert answer.json()["error"]["code"] == "request_timeout"
    still_serving(served)


def test_idle_sockets_beyond_the_cap_make_room_for_health(served: Running) -> None:
    with ExitStack() as stack:
        idle = [stack.enter_context(connect(served.url)) for _ in range(40)]  # the cap is 12
        assert len(idle) == 40
        for _ in range(3):
            assert httpx.get(served.url + "/health", timeout=5).status_code == 200
        still_serving(served)


async def test_busy_connections_at_the_cap_refuse_new_ones_with_503(tmp_path: Path) -> None:
    limits = ConnectionLimits(max_connections=3)
    with in_process(SLOW, tmp_path, connections=limits) as running:
        body: Any = {"model": "fake", "stream": True, "messages": [{"role": "user", "content": "go"}]}
        opened: list[Any] = []
        async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=10)) as client:
            for _ in range(3):  # three streams in flight hold the three connections
                response = await client.send(
                    client.build_request("POST", running.api + "/chat/completions", json=body), stream=True
                )
                pieces = response.aiter_raw()
                await pieces.__anext__()
                opened += [response, pieces]
            with connect(running.url) as sock:
                sock.sendall(head("GET", "/health", {"Host": "localhost"}))
                answer = read_answer(sock)
            assert answer.status == 503 and answer.json()["error"]["code"] == "too_many_connections"
            for response in opened[::2]:
                await response.aclose()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if httpx.get(running.url + "/health", timeout=5).status_code == 200:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the server did not serve /health again once the streams ended")


def test_many_slow_heads_at_once_do_not_stop_the_server(served: Running) -> None:
    """Slowloris with many sockets: each sends part of a head, then waits."""
    stop = threading.Event()

    def slow(index: int) -> None:
        try:
            with connect(served.url) as sock:
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n")
                while not stop.wait(0.2):
                    sock.sendall(b"X-%d: 1\r\n" % index)
        except OSError:
            pass

    threads = [threading.Thread(target=slow, args=(i,), daemon=True) for i in range(30)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        assert httpx.get(served.url + "/health", timeout=5).status_code == 200
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
    still_serving(served)


def test_closed_connections_are_logged_as_a_tally(caplog: pytest.LogCaptureFixture) -> None:
    closings = Closings(period=60)
    with caplog.at_level(logging.INFO, logger="chi_llm"):
        for _ in range(500):  # an attack's worth of slow heads
            closings.note("its request headers did not arrive within 10 s: 408")
    assert [r.getMessage() for r in caplog.records] == [
        "closed 1 connection: its request headers did not arrive within 10 s: 408"
    ]
    assert closings.counts == {"its request headers did not arrive within 10 s: 408": 499}  # told in the next line


def test_a_slow_head_pipelined_behind_a_quick_request_is_cut_off(served: Running) -> None:
    with connect(served.url) as sock:
        sock.sendall(head("GET", "/health", {"Host": "localhost"}) + b"GET /health HTTP/1.1\r\nHost: localhost\r\n")
        assert read_answer(sock).status == 200
        began = time.monotonic()
        for index in range(100):  # one header every 0.1 s: each byte would restart the keep-alive wait
            try:
                sock.sendall(b"X-Slow-%d: 1\r\n" % index)
            except OSError:
                break
            time.sleep(0.1)
        assert time.monotonic() - began < 5  # the head deadline is 1 s
