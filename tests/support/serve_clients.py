"""What the serve tests talk to `chi-llm serve` with: the official OpenAI and Anthropic SDKs
(no retries: a test sees every status), and the fake backend behind a route (to script its
answers and read what it was asked)."""

from __future__ import annotations

from typing import Any

import anthropic
import openai

from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.entrypoints.server.backends import Route
from tests.support.serve import Running


def openai_client(running: Running, **kwargs: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=running.api, api_key="x", max_retries=0, **kwargs)


def anthropic_client(running: Running, key: str = "x") -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=running.url, api_key=key, max_retries=0)


def fake_backend(running: Running, route: Route | None = None) -> FakeTextGenerator:
    """The fake generator answering `route` (the fake provider's by default)."""
    generator = running.state.backends.get(route or Route(provider="fake")).router.primary
    assert isinstance(generator, FakeTextGenerator)
    return generator
