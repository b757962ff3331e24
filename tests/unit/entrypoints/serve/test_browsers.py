"""What a web page can make a browser send to a keyless loopback server: "simple" requests from a
foreign Origin (no preflight), bodies that are not declared JSON, and DNS rebinding (the page's
own name, re-pointed at 127.0.0.1, arrives as the Host). All refused, through a raw socket."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import openai
import pytest

from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.entrypoints.server.backends import Route
from chi_llm.entrypoints.server.checks import host_name, host_refused, is_loopback_name
from tests.support.raw_http import connect, read_answer, request
from tests.support.serve import FAKE, Running, in_process

BODY = json.dumps({"model": "fake", "messages": [{"role": "user", "content": "hi"}]}).encode()
SIMPLE_TYPES = ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Running]:
    with in_process(FAKE, tmp_path) as running:
        yield running


def own_host(running: Running) -> str:
    return urlsplit(running.url).netloc


def fake_requests(running: Running) -> int:
    generator = running.state.backends.get(Route(provider="fake")).router.primary
    assert isinstance(generator, FakeTextGenerator)
    return len(generator.requests)


@pytest.mark.parametrize("kind", SIMPLE_TYPES)
def test_a_foreign_pages_simple_request_is_refused(served: Running, kind: str) -> None:
    headers = {"Host": own_host(served), "Origin": "http://evil.test", "Content-Type": kind}
    answer = request(served.url, "POST", "/v1/chat/completions", headers, BODY)
    assert answer.status == 403
    error = answer.json()["error"]
    assert error["code"] == "origin_not_allowed" and "--allow-origin http://evil.test" in error["message"]
    assert fake_requests(served) == 0  # nothing reached the model


@pytest.mark.parametrize("origin", ["http://evil.test", "null", "http://localhost:3000", "https://127.0.0.1"])
def test_foreign_origins_cannot_read_or_write(served: Running, origin: str) -> None:
    host = own_host(served)
    for method, path, body in (("GET", "/v1/models", b""), ("GET", "/health", b"")):
        answer = request(served.url, method, path, {"Host": host, "Origin": origin}, body)
        assert answer.status == 403, (method, path)
    answer = request(
        served.url,
        "POST",
        "/v1/chat/completions",
        {"Host": host, "Origin": origin, "Content-Type": "application/json"},
        BODY,
    )
    assert answer.status == 403 and answer.json()["error"]["type"] == "permission_error"


def test_the_servers_own_origin_and_plain_clients_are_served(served: Running) -> None:
    host = own_host(served)
    json_type = {"Host": host, "Content-Type": "application/json; charset=utf-8"}
    assert request(served.url, "POST", "/v1/chat/completions", json_type, BODY).status == 200
    own = {**json_type, "Origin": f"http://{host}"}
    assert request(served.url, "POST", "/v1/chat/completions", own, BODY).status == 200


@pytest.mark.parametrize("kind", [*SIMPLE_TYPES, None, "application/jsonx", "text/json"])
def test_json_endpoints_require_a_json_content_type(served: Running, kind: str | None) -> None:
    headers = {"Host": own_host(served), **({"Content-Type": kind} if kind else {})}
    for path in ("/v1/chat/completions", "/v1/completions", "/v1/embeddings"):
        answer = request(served.url, "POST", path, headers, BODY)
        assert answer.status == 415, path
        assert "Content-Type: application/json" in answer.json()["error"]["message"]
    assert fake_requests(served) == 0


JSON = {"Content-Type": "application/json"}


def post_from(running: Running, origin: str) -> httpx.Response:
    return httpx.post(running.api + "/chat/completions", content=BODY, headers={"Origin": origin, **JSON})


def test_allowed_origins_pass_and_others_are_still_refused(tmp_path: Path) -> None:
    allowed = "http://localhost:3000"
    with in_process(FAKE, tmp_path, allow_origins=(allowed,)) as running:
        answer = post_from(running, allowed)
        assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == allowed
        assert post_from(running, "http://evil.test").status_code == 403
    with in_process(FAKE, tmp_path, allow_origins=("*",)) as running:
        assert post_from(running, "http://x.test").status_code == 200


@pytest.mark.parametrize(
    "host",
    [
        "evil.test",
        "evil.test:{port}",
        "127.0.0.1.evil.test",
        "localhost.evil.test:{port}",
        "0.0.0.0:{port}",
        "10.0.0.9",
    ],
)
def test_dns_rebinding_hosts_are_refused(served: Running, host: str) -> None:
    host = host.format(port=urlsplit(served.url).port)
    for method, path in (("GET", "/health"), ("GET", "/v1/models"), ("POST", "/v1/chat/completions")):
        answer = request(served.url, method, path, {"Host": host, **JSON}, BODY if method == "POST" else b"")
        assert answer.status == 403, (host, path)
        error = answer.json()["error"]
        assert error["code"] == "host_not_allowed" and "--allow-host" in error["message"]
    assert fake_requests(served) == 0


@pytest.mark.parametrize(
    "host", ["localhost", "LOCALHOST:{port}", "127.0.0.1:{port}", "127.0.0.2", "[::1]:{port}", "app.localhost:{port}"]
)
def test_loopback_hosts_with_or_without_the_port_are_answered(served: Running, host: str) -> None:
    host = host.format(port=urlsplit(served.url).port)
    assert request(served.url, "GET", "/v1/models", {"Host": host}).status == 200


def test_more_host_names_when_asked(tmp_path: Path) -> None:
    with in_process(FAKE, tmp_path, allow_hosts=("chi.internal",)) as running:
        port = urlsplit(running.url).port
        assert request(running.url, "GET", "/health", {"Host": f"chi.internal:{port}"}).status == 200
        assert request(running.url, "GET", "/health", {"Host": "other.internal"}).status == 403


def test_host_rules() -> None:
    assert [host_name(h) for h in ("a.b:80", "[::1]:8642", "[::1]", "::1", "Localhost")] == [
        "a.b",
        "::1",
        "::1",
        "::1",
        "localhost",
    ]
    assert all(is_loopback_name(n) for n in ("localhost", "localhost.", "x.localhost", "127.9.9.9", "::1"))
    assert not any(is_loopback_name(n) for n in ("localhost.test", "0.0.0.0", "::", "127.1", "evil"))  # noqa: S104
    assert host_refused("evil.test", loopback_bind=False, allowed=()) is None  # beyond loopback: a key guards it
    assert host_refused(None, loopback_bind=True, allowed=()) is None  # HTTP/1.0 without Host


def test_the_official_client_from_a_page_origin_is_refused(served: Running) -> None:
    api = openai.OpenAI(base_url=served.api, api_key="x", max_retries=0, default_headers={"Origin": "http://evil.test"})
    with pytest.raises(openai.PermissionDeniedError, match="--allow-origin"):
        api.chat.completions.create(model="fake", messages=[{"role": "user", "content": "hi"}])
    plain = openai.OpenAI(base_url=served.api, api_key="x", max_retries=0)
    assert plain.chat.completions.create(model="fake", messages=[{"role": "user", "content": "hi"}]).choices


@pytest.mark.parametrize("order", [("localhost", "evil.test"), ("evil.test", "localhost"), ("localhost", "localhost")])
def test_two_host_headers_are_refused(served: Running, order: tuple[str, str]) -> None:
    with connect(served.url) as sock:
        sock.sendall(f"GET /v1/models HTTP/1.1\r\nHost: {order[0]}\r\nHost: {order[1]}\r\n\r\n".encode())
        answer = read_answer(sock)
    assert answer.status == 400 and "one Host header" in answer.json()["error"]["message"]
