"""The connection attacks that cost the whole process, run against `chi-llm serve` in a subprocess
under resource limits (so a regression fails the test, not the machine): unfinished huge heads
must not grow its memory, and more sockets than its descriptor limit must not take it down."""

from __future__ import annotations

import resource
import threading
from contextlib import ExitStack
from pathlib import Path

import httpx
import openai

from tests.support.raw_http import closed_within, connect, head, read_answer, request, send_until_refused
from tests.support.serve import FAKE, subprocess_server, write_config

MEMORY_CAP = 1 << 30  # the fake server needs well under 100 MB


def rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])


def test_unfinished_huge_heads_do_not_grow_the_server(tmp_path: Path) -> None:
    config = write_config(tmp_path, FAKE)
    with subprocess_server("--config", str(config), limits={resource.RLIMIT_AS: MEMORY_CAP}) as server:
        assert httpx.get(server.url + "/health", timeout=10).status_code == 200
        before = rss_kib(server.process.pid)
        statuses: list[int] = []

        def attack() -> None:
            with connect(server.url, timeout=30) as sock:
                prefix = b"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nX-Big: "
                send_until_refused(sock, prefix, b"a" * 65536, 200 << 20)  # up to 200 MB, never ended
                try:
                    statuses.append(read_answer(sock).status)
                except OSError:
                    statuses.append(0)

        threads = [threading.Thread(target=attack) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        grown_mib = (rss_kib(server.process.pid) - before) / 1024
        assert grown_mib < 40, f"the server grew by {grown_mib:.0f} MiB"
        assert statuses == [431, 431, 431]
        assert httpx.get(server.url + "/health", timeout=10).status_code == 200
        code, err = server.stop()
    assert code == 0 and "Traceback" not in err


def test_more_sockets_than_descriptors_leave_health_answering(tmp_path: Path) -> None:
    config = write_config(tmp_path, FAKE)
    with subprocess_server("--config", str(config), limits={resource.RLIMIT_NOFILE: 256}) as server:
        with ExitStack() as stack:
            for _ in range(300):  # idle sockets, more than the server has descriptors for
                stack.enter_context(connect(server.url))
            for _ in range(3):
                assert httpx.get(server.url + "/health", timeout=10).status_code == 200
            api = openai.OpenAI(base_url=server.api, api_key="x", max_retries=0, timeout=10)
            assert api.models.list().data
        code, err = server.stop()
    assert code == 0 and "Traceback" not in err


def test_the_command_line_options_reach_the_server(tmp_path: Path) -> None:
    config = write_config(tmp_path, FAKE)
    args = ("--config", str(config), "--head-timeout", "0.5", "--keep-alive", "0.3", "--allow-host", "Chi.Test")
    with subprocess_server(*args, "--max-connections", "2", "--body-timeout", "0.5") as server:
        with connect(server.url) as idle:
            assert (closed_within(idle, 10) or 99) < 3  # --head-timeout
        assert request(server.url, "GET", "/health", {"Host": "chi.test"}).status == 200  # --allow-host
        with connect(server.url) as sock:
            sock.sendall(head("GET", "/health", {"Host": "localhost"}))
            assert read_answer(sock).status == 200
            assert (closed_within(sock, 10) or 99) < 3  # --keep-alive
        with connect(server.url) as sock:  # --body-timeout
            post = b"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            sock.sendall(post + b"Content-Length: 9\r\n\r\n{")
            assert read_answer(sock).status == 408
        assert server.process.poll() is None
