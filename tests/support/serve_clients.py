"""What the serve tests talk to `chi-llm serve` with: the official OpenAI and Anthropic SDKs
(no retries: a test sees every status), and the fake backend behind a route (to script its
answers and read what it was asked)."""

from __future__ import annotations

from typing import Any, Protocol

import anthropic
import openai

from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.entrypoints.server.backends import Route
from tests.support.serve import Running


class Served(Protocol):
    """A running server: in-process (serve.Running) or a subprocess (serve.Process)."""

    @property
    def url(self) -> str: ...


def openai_client(served: Served, **kwargs: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=served.url + "/v1", api_key="x", max_retries=0, **kwargs)


def anthropic_client(served: Served, key: str = "x") -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=served.url, api_key=key, max_retries=0)


def fake_backend(running: Running, route: Route | None = None) -> FakeTextGenerator:
    """The fake generator answering `route` (the fake provider's by default)."""
    generator = running.state.backends.get(route or Route(provider="fake")).router.primary
    assert isinstance(generator, FakeTextGenerator)
    return generator
