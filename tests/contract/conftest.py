"""The adapters every TextGenerator contract test runs against. Adding an adapter = one entry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.domain.errors import ModelNotFound

CONTEXT = 256  # small, so over-long prompts are cheap to build for every adapter


@dataclass
class Subject:
    """An adapter under contract test, with what the tests need to know about it."""

    generator: Any
    unknown_model: str
    decoded: Callable[[], int]


def _fake(_: pytest.FixtureRequest) -> Subject:
    fake = FakeTextGenerator(context=CONTEXT, token_delay=0.005)
    return Subject(fake, "no-such-model", lambda: fake.tokens_decoded)


def _llama_cpp(request: pytest.FixtureRequest) -> Subject:
    from chi_llm.adapters.llama_cpp import LlamaCppGenerator

    path: Path = request.getfixturevalue("default_model_path")

    def locate(model: str) -> Path:
        if model == "default":
            return path
        raise ModelNotFound(f"no model file at {model}", backend="local")

    generator = LlamaCppGenerator(locate=locate, default_model="default", context=CONTEXT)
    return Subject(generator, "/nonexistent/model.gguf", lambda: generator.tokens_decoded)


ADAPTERS: dict[str, Callable[[pytest.FixtureRequest], Subject]] = {
    "fake": _fake,
    "llama_cpp": _llama_cpp,
}


@pytest.fixture(params=list(ADAPTERS), ids=list(ADAPTERS))
def subject(request: pytest.FixtureRequest) -> Subject:
    return ADAPTERS[request.param](request)
