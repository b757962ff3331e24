"""The golden bridge conversations in tui/protocol/fixtures, replayed against the real bridge,
and every message it sends checked against tui/protocol/bridge.schema.json. The Rust side parses
the same files (tui/chi-tui/tests/protocol.rs), so neither side can drift silently."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import chi_llm
from chi_llm.adapters.fake import FakeTextGenerator
from tests.support.bridge_replay import (
    FIXTURES,
    ROOT,
    TOOL,
    BridgeProcess,
    generalise,
    masked,
    read_fixture,
    substitute,
    write_fixture,
)
from tests.support.cli import closed_port
from tests.support.servers.base import Server, serve
from tests.support.servers.ollama import OllamaHandler

RECORD = os.environ.get("CHI_LLM_RECORD_FIXTURES") == "1"


@pytest.fixture
def ollama() -> Iterator[Server]:
    engine = FakeTextGenerator(["hello from ollama"] * 20, models=("llama3.2", "qwen3:0.6b"))
    with serve(OllamaHandler, Server(engine=engine)) as server:
        yield server


def validate(message: dict[str, Any], method: str | None) -> None:
    """The envelope, then the result or notification params as the schema's maps define them."""
    jsonschema.validate(message, ROOT)
    if method and "result" in message and "result" in ROOT["x-methods"].get(method, {}):
        jsonschema.validate(message["result"], {"$defs": ROOT["$defs"], **ROOT["x-methods"][method]["result"]})
    if "method" in message and message["method"] in ROOT["x-notifications"]:
        shape = ROOT["x-notifications"][message["method"]]
        jsonschema.validate(message["params"], {"$defs": ROOT["$defs"], **shape})


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.jsonl")), ids=lambda p: p.stem)
def test_fixture_replays_against_the_real_bridge(fixture: Path, isolated: Path, ollama: Server) -> None:
    names: dict[str, Any] = {
        "$WORK": str(isolated),
        "$HOME": os.environ["CHI_LLM_HOME"],
        "$OLLAMA_PORT": int(ollama.url.rsplit(":", 1)[1]),
        "$OLLAMA": ollama.url,
        "$CLOSED": f"http://127.0.0.1:{closed_port()}",
        "$CHECKOUT": Path(chi_llm.__file__).resolve().parents[1].as_uri(),
        "$TOOLS": str(TOOL.parent),
    }
    exchanges = read_fixture(fixture)
    bridge = BridgeProcess(isolated, {})
    recorded = []
    try:
        for exchange in exchanges:
            ignore = exchange.get("ignore", [])
            if "send_raw" in exchange:
                got = bridge.exchange(exchange["send_raw"], None)
                method = None
            else:
                request = substitute(exchange["send"], names)
                until = exchange.get("until")  # another request's id, or a notification's method
                rid, method_until = (None, until) if isinstance(until, str) else (until, None)
                got = bridge.exchange(json.dumps(request), rid if rid is not None else request.get("id"), method_until)
                method = request["method"]
            for message in got:
                validate(message, method)
            if RECORD:
                recorded.append({**exchange, "expect": [generalise(m, names) for m in got]})
                continue
            expected = [masked(substitute(m, names), ignore) for m in exchange["expect"]]
            assert [masked(m, ignore) for m in got] == expected, f"{fixture.name}: {exchange.get('send')}"
    finally:
        assert bridge.close() == 0
    if RECORD:
        write_fixture(fixture, recorded)
