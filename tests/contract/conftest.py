"""The adapters every TextGenerator contract test runs against. Adding an adapter = one entry."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chi_llm.adapters.fake import FakeTextGenerator

CONTEXT = 256  # small, so over-long prompts are cheap to build for every adapter


@dataclass
class Subject:
    """An adapter under contract test, with what the tests need to know about it."""

    generator: Any
    unknown_model: str | None  # None: the server serves whatever model name it is sent
    decoded: Callable[[], int] | None  # None: decoding cannot be observed from outside
    stream_usage: bool = True  # False: the server reports no usage in streams (it is estimated)
    received: Callable[[], Any] | None = None  # the request the backend last saw, where observable
    native_raw: bool = True  # False: the API has no raw continuation; it is emulated with messages
    engine: FakeTextGenerator | None = None  # the fake that answers (itself, or behind a stand-in server)


def _fake(_: pytest.FixtureRequest) -> Subject:
    fake = FakeTextGenerator(context=CONTEXT, token_delay=0.005)
    return Subject(fake, "no-such-model", lambda: fake.tokens_decoded, received=lambda: fake.requests[-1], engine=fake)


def _llama_cpp(request: pytest.FixtureRequest) -> Subject:
    """The real adapter on the real embedded model, wired as production wires it: the registry's
    `local` type over the real model service (so an unknown model is the adapter's own error)."""
    from chi_llm.adapters.models.catalog import YamlModelCatalog
    from chi_llm.adapters.models.files import LocalModelFiles
    from chi_llm.adapters.providers.provider_type import BuildContext
    from chi_llm.adapters.providers.registry import PROVIDER_TYPES
    from chi_llm.application.models.store import ModelStore
    from chi_llm.domain.providers import ProviderProfile
    from tests.conftest import shared_models_dir

    path: Path = request.getfixturevalue("default_model_path")
    models = ModelStore(YamlModelCatalog(env={}), LocalModelFiles(shared_models_dir()), {})
    context = BuildContext(model=str(path), local_context=CONTEXT, locate=models.locate)
    generator: Any = PROVIDER_TYPES["local"].build(ProviderProfile(id="local", type="local"), context)
    return Subject(generator, "/nonexistent/model.gguf", lambda: generator.tokens_decoded)


def _http(handler: Any, kind: str, prefix: str = "") -> Callable[..., Iterator[Subject]]:
    """A subject backed by an in-process server speaking one provider's protocol, built from a
    profile through the provider registry exactly as production builds it (auth included)."""

    def build(_: pytest.FixtureRequest) -> Iterator[Subject]:
        from tests.support.servers.base import Server, serve

        engine = FakeTextGenerator(context=CONTEXT, token_delay=0.005, models=("fake-model",))
        with serve(handler, Server(engine=engine, api_key="sk-test")) as server:
            generator = registry_build(
                kind, base_url=server.url + prefix, api_key="sk-test", model="fake-model", max_retries=0
            )
            yield Subject(
                generator,
                "no-such-model",
                lambda: server.decoded,
                received=lambda: engine.requests[-1],
                native_raw=kind in ("openai", "ollama"),
                engine=engine,
            )
            generator.close()

    return build


def registry_build(kind: str, **settings: Any) -> Any:
    """An adapter from a profile of `kind`, through the registry (the container's path)."""
    from chi_llm.adapters.providers.provider_type import BuildContext
    from chi_llm.adapters.providers.registry import PROVIDER_TYPES, schemas
    from chi_llm.domain.providers import check_profile

    schema = schemas()[kind]
    known = {f.name for f in schema.fields}
    profile = check_profile(
        {"id": kind, "type": kind, "context": CONTEXT, **{k: v for k, v in settings.items() if k in known}},
        schemas(),
        source="contract test",
    )
    return PROVIDER_TYPES[kind].build(profile, BuildContext(env={}, model=settings.get("model"), context=CONTEXT))


def _servers() -> dict[str, Callable[..., Iterator[Subject]]]:
    from tests.support.servers.anthropic import AnthropicHandler
    from tests.support.servers.gemini import GeminiHandler
    from tests.support.servers.ollama import OllamaHandler
    from tests.support.servers.openai import OpenAIHandler

    return {
        "openai": _http(OpenAIHandler, "openai", "/v1"),
        "ollama": _http(OllamaHandler, "ollama"),
        "anthropic": _http(AnthropicHandler, "anthropic"),
        "gemini": _http(GeminiHandler, "gemini"),
    }


def _real_server(kind: str) -> Callable[[pytest.FixtureRequest], Subject]:
    """llama-cpp-python's own OpenAI-compatible server (nobody here wrote it) on the embedded model."""

    def build(request: pytest.FixtureRequest) -> Subject:
        url: str = request.getfixturevalue("llama_server")
        base_url = url if kind == "lmstudio" else url + "/v1"
        generator = registry_build(kind, base_url=base_url, model="default", max_retries=0)
        return Subject(generator, None, None, stream_usage=False)

    return build


# The adapters the tools contract (test_tools.py) runs on: they say calls_tools() and their
# answers can be scripted (Subject.engine). Adding one = one entry.
TOOLS = frozenset({"fake", "openai", "ollama", "anthropic", "gemini"})

ADAPTERS: dict[str, Callable[..., Any]] = {
    "fake": _fake,
    "llama_cpp": _llama_cpp,
    **_servers(),
    "openai_llama_server": _real_server("openai"),
    "lmstudio_llama_server": _real_server("lmstudio"),
}


@pytest.fixture(scope="session")
def llama_server(default_model_path: Path) -> Iterator[str]:
    """`python -m llama_cpp.server` on 127.0.0.1, serving the embedded model, for the whole session."""
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(default_model_path),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(CONTEXT),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail("llama_cpp.server exited; is llama-cpp-python[server] installed?")
            try:
                if httpx.get(url + "/v1/models", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        else:
            pytest.fail("llama_cpp.server did not start within 90 s")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


# The subjects that run the embedded model (their builders ask for `default_model_path` at run
# time, which collection cannot see): marked `real_model` here, where they are defined.
REAL_MODEL = frozenset({"llama_cpp", "openai_llama_server", "lmstudio_llama_server"})


@pytest.fixture(
    params=[pytest.param(name, marks=[pytest.mark.real_model] if name in REAL_MODEL else []) for name in ADAPTERS],
    ids=list(ADAPTERS),
)
def subject(request: pytest.FixtureRequest) -> Iterator[Subject]:
    made = ADAPTERS[request.param](request)
    if isinstance(made, Subject):
        yield made
    else:
        yield from made
