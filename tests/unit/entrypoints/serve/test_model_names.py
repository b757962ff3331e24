"""A request's `model` reaches only what the server routes: never a path on the server's disk
(the answer must not tell whether a file exists), never a download, for `local/...` as for any
catalog-model profile; remote profiles still take any model their provider serves."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.entrypoints.server.backends import Route
from chi_llm.entrypoints.server.replies import json_bytes
from tests.support.serve import FAKE, Running, in_process
from tests.support.serve_clients import openai_client as client
from tests.support.servers.base import Server, serve
from tests.support.servers.openai import OpenAIHandler

MESSAGES: Any = [{"role": "user", "content": "hi"}]
WITH_LOCAL = {**FAKE, "providers": [{"id": "fake", "type": "fake"}, {"id": "local", "type": "local"}]}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Running]:
    with in_process(WITH_LOCAL, tmp_path) as running:
        yield running


def refusal(running: Running, model: str, *, named: bool = True) -> str:
    """The 404's message, the model name taken out (so two refusals compare)."""
    with pytest.raises(openai.NotFoundError) as refused:
        client(running).chat.completions.create(model=model, messages=MESSAGES)
    assert refused.value.code == "model_not_found"
    return refused.value.message.replace(model, "NAME") if named else refused.value.message


def test_paths_are_never_opened_and_never_told_apart(served: Running, tmp_path: Path) -> None:
    gguf = tmp_path / "elsewhere.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 64)  # a GGUF file outside every folder the server lists
    names = [
        "/etc/passwd",  # exists, not a GGUF
        "/etc/shadow",
        "/nonexistent/model.gguf",  # missing
        str(gguf),  # a GGUF anywhere on disk
        "../../../etc/passwd",
        "gguf:" + str(gguf),  # looks like another tool's id, but no scanned folder holds it
    ]
    messages = {refusal(served, f"{profile}/{name}") for profile in ("local", "fake") for name in names}
    messages |= {refusal(served, name) for name in names}
    assert len(messages) == 1 and "GET /v1/models" in messages.pop()
    assert len(served.state.backends) == 0  # nothing was built, so nothing was loaded


def test_a_catalog_model_not_downloaded_is_a_404_not_a_download(served: Running) -> None:
    for name in ("local/gemma-3-270m", "gemma-3-270m", "fake/gemma-3-270m"):
        message = refusal(served, name, named=False)
        assert "not downloaded" in message and "chi-llm models download gemma-3-270m" in message
    assert len(served.state.backends) == 0  # no route built: nothing to download with


def test_listed_names_still_route(served: Running) -> None:
    ids = {m.id for m in client(served).models.list()}
    assert {"fake", "local", "smollm2-135m", "fake/smollm2-135m"} <= ids
    answer = client(served).chat.completions.create(model="fake/smollm2-135m", messages=MESSAGES)
    assert answer.model == "smollm2-135m" and answer.choices[0].message.content


def test_remote_profiles_take_any_model_and_invented_routes_stay_bounded(tmp_path: Path) -> None:
    engine = FakeTextGenerator(models=tuple(f"variant-{i}" for i in range(12)))
    with serve(OpenAIHandler, Server(engine=engine)) as upstream:
        remote = {"id": "remote", "type": "openai", "base_url": upstream.url + "/v1", "api_key": "k", "model": "m"}
        config = {**FAKE, "providers": [{"id": "fake", "type": "fake"}, remote]}
        with in_process(config, tmp_path) as running:
            backends = running.state.backends
            backends.MAX_ROUTES = 5
            for index in range(12):
                client(running).chat.completions.create(model=f"remote/variant-{index}", messages=MESSAGES)
            assert len(backends) == 5 and len(backends.gates()) <= 5
            answer = client(running).chat.completions.create(model="remote/variant-0", messages=MESSAGES)
            assert answer.model == "variant-0"  # built again when asked


def test_a_file_name_that_is_not_utf8_is_listed_escaped_and_routes(tmp_path: Path) -> None:
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    (shelf / "plain.gguf").write_bytes(b"GGUF" + b"\0" * 64)
    Path(os.fsdecode(os.fsencode(shelf) + b"/caf\xe9-\xff.gguf")).write_bytes(b"GGUF" + b"\0" * 64)
    real = f"gguf:{shelf}/caf\udce9-\udcff.gguf"  # as the file system gives it (surrogate-escaped)
    shown = f"gguf:{shelf}/caf\\xe9-\\xff.gguf"
    with in_process({**FAKE, "gguf_paths": [str(shelf)]}, tmp_path) as running:
        listing = httpx.get(running.api + "/models")
        assert listing.status_code == 200
        ids = {m["id"] for m in listing.json()["data"]}
        assert {shown, f"gguf:{shelf}/plain.gguf"} <= ids
        assert running.state.route(shown) == Route(provider="local", model=real)
        one = httpx.get(running.api + "/models/" + shown)
        assert one.status_code == 200 and one.json()["id"] == shown


def test_json_answers_carry_any_string() -> None:
    assert json.loads(json_bytes({"id": "caf\udce9", "lone": "\ud800", "ok": "é"})) == {
        "id": "caf\\xe9",
        "lone": "\\ud800",
        "ok": "é",
    }
    assert json_bytes({"ok": "é"}) == '{"ok":"é"}'.encode()
