"""`chi-llm serve` routing to a remote OpenAI-compatible profile: an in-process upstream server
that scripts tool calls (servers.tool_script), the server with that profile beside the fake,
and the body the upstream got last. Shared by the serve tests of every wire format."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.serve import FAKE, Running, in_process
from tests.support.servers.base import Server, serve
from tests.support.servers.openai import OpenAIHandler
from tests.support.servers.tool_script import ToolEngine


@contextmanager
def upstream_server() -> Iterator[Server]:
    """An OpenAI-compatible server on 127.0.0.1 whose model `m` scripts tool calls."""
    with serve(OpenAIHandler, Server(engine=ToolEngine(models=("m",)))) as server:
        yield server


@contextmanager
def serving_remote(upstream: Server, folder: Path) -> Iterator[Running]:
    """`chi-llm serve` with the fake and a `remote` profile on `upstream` (model `m`)."""
    remote = {"id": "remote", "type": "openai", "base_url": upstream.url + "/v1", "api_key": "k", "model": "m"}
    with in_process({**FAKE, "providers": [{"id": "fake", "type": "fake"}, remote]}, folder) as running:
        yield running


def sent(upstream: Server) -> dict[str, Any]:
    """The body of the last request `upstream` got."""
    body: dict[str, Any] = upstream.requests[-1]["body"]
    return body
