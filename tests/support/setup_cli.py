"""For `chi-llm setup` tests: the global configuration file it writes, and an Ollama server for its
connection test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from chi_llm.adapters.fake import FakeTextGenerator
from tests.support.servers.base import Server, serve
from tests.support.servers.ollama import OllamaHandler


def global_file() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"]) / "chi_llm" / "config.yaml"


@contextmanager
def two_model_ollama() -> Iterator[Server]:
    """An Ollama server on loopback offering llama3.2 and qwen3, whose fake model says "hello there"."""
    with serve(
        OllamaHandler, Server(engine=FakeTextGenerator(["hello there"], models=("llama3.2", "qwen3")))
    ) as server:
        yield server
