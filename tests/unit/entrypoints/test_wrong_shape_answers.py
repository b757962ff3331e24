"""A server that answers in the wrong shape is the same error in `--json` mode as in plain mode:
never an empty answer with exit 0."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chi_llm.adapters.fake import FakeTextGenerator
from tests.support.cli import run
from tests.support.servers.base import Handler, Server, serve

NOT_A_GENERATION = r"does not understand|without a generation"


class DeltaOnlyHandler(Handler):
    """An OpenAI-compatible server that puts a stream's `delta` (a string, even) in every answer."""

    def route(self, method: str, path: str, body: Any) -> None:
        self.send_json(200, {"choices": [{"delta": "hi"}]})


@pytest.fixture
def wrong_shape(isolated: Path) -> Iterator[Server]:
    with serve(DeltaOnlyHandler, Server(engine=FakeTextGenerator())) as server:
        provider = {"type": "openai", "base_url": server.url + "/v1", "model": "m"}
        (isolated / ".chi_llm.json").write_text(json.dumps({"provider": provider, "fallback_to_local": False}))
        yield server


def test_json_mode_reports_a_wrong_shape_answer_as_plain_mode_does(wrong_shape: Server) -> None:
    plain = run("generate", "hello")
    assert plain.exit_code != 0 and re.search(NOT_A_GENERATION, plain.stderr)
    as_json = run("generate", "hello", "--json")
    assert as_json.exit_code == plain.exit_code
    error = json.loads(as_json.stdout)["error"]
    assert error["kind"] == "generation_failed" and re.search(NOT_A_GENERATION, error["message"])
    assert run("generate", "hello", "--no-stream").exit_code == plain.exit_code
    assert any(r["body"] and r["body"].get("stream") is False for r in wrong_shape.requests)
