"""The adapters every TextGenerator contract test runs against. Adding an adapter = one entry."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
    unknown_model: str | None  # None: the server serves whatever model name it is sent
    decoded: Callable[[], int] | None  # None: decoding cannot be observed from outside
    stream_usage: bool = True  # False: the server reports no usage in streams (it is estimated)


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


def _http(handler: Any, make: Callable[[str, Any], Any], prefix: str = "") -> Callable[..., Iterator[Subject]]:
    """A subject backed by an in-process server speaking one provider's protocol."""

    def build(_: pytest.FixtureRequest) -> Iterator[Subject]:
        from tests.servers.base import Server, serve

        engine = FakeTextGenerator(context=CONTEXT, token_delay=0.005, models=("fake-model",))
        with serve(handler, Server(engine=engine, api_key="sk-test")) as server:
            generator = make(server.url + prefix, server)
            yield Subject(generator, "no-such-model", lambda: server.decoded)
            generator.transport.close()

    return build


def _openai(url: str, server: Any) -> Any:
    from chi_llm.adapters.http.transport import HttpTransport
    from chi_llm.adapters.openai_compatible import OpenAICompatibleGenerator

    transport = HttpTransport(
        backend="openai", base_url=url, headers={"Authorization": "Bearer sk-test"}, context=CONTEXT, max_retries=0
    )
    return OpenAICompatibleGenerator(transport, model="fake-model", context=CONTEXT)


def _ollama(url: str, server: Any) -> Any:
    from chi_llm.adapters.http.transport import HttpTransport
    from chi_llm.adapters.ollama import OllamaGenerator

    transport = HttpTransport(backend="ollama", base_url=url, context=CONTEXT, max_retries=0)
    return OllamaGenerator(transport, model="fake-model", context=CONTEXT)


def _anthropic(url: str, server: Any) -> Any:
    from chi_llm.adapters.anthropic import AnthropicGenerator
    from chi_llm.adapters.http.transport import HttpTransport

    headers = {"x-api-key": "sk-test", "anthropic-version": "2023-06-01"}
    transport = HttpTransport(backend="anthropic", base_url=url, headers=headers, context=CONTEXT, max_retries=0)
    return AnthropicGenerator(transport, model="fake-model", context=CONTEXT)


def _gemini(url: str, server: Any) -> Any:
    from chi_llm.adapters.gemini import GeminiGenerator
    from chi_llm.adapters.http.transport import HttpTransport

    transport = HttpTransport(
        backend="gemini", base_url=url, headers={"x-goog-api-key": "sk-test"}, context=CONTEXT, max_retries=0
    )
    return GeminiGenerator(transport, model="fake-model", context=CONTEXT)


def _servers() -> dict[str, Callable[..., Iterator[Subject]]]:
    from tests.servers.anthropic import AnthropicHandler
    from tests.servers.gemini import GeminiHandler
    from tests.servers.ollama import OllamaHandler
    from tests.servers.openai import OpenAIHandler

    return {
        "openai": _http(OpenAIHandler, _openai, "/v1"),
        "ollama": _http(OllamaHandler, _ollama),
        "anthropic": _http(AnthropicHandler, _anthropic),
        "gemini": _http(GeminiHandler, _gemini),
    }


def _real_server(kind: str) -> Callable[[pytest.FixtureRequest], Subject]:
    """llama-cpp-python's own OpenAI-compatible server (nobody here wrote it) on the embedded model."""

    def build(request: pytest.FixtureRequest) -> Subject:
        from chi_llm.adapters.http.transport import HttpTransport
        from chi_llm.adapters.lmstudio import LMStudioGenerator
        from chi_llm.adapters.openai_compatible import OpenAICompatibleGenerator

        url: str = request.getfixturevalue("llama_server")
        if kind == "lmstudio":
            generator: Any = LMStudioGenerator(
                HttpTransport(backend="lmstudio", base_url=url, context=CONTEXT, max_retries=0),
                model="default",
                context=CONTEXT,
            )
        else:
            generator = OpenAICompatibleGenerator(
                HttpTransport(backend="openai", base_url=url + "/v1", context=CONTEXT, max_retries=0),
                model="default",
                context=CONTEXT,
            )
        return Subject(generator, None, None, stream_usage=False)

    return build


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


@pytest.fixture(params=list(ADAPTERS), ids=list(ADAPTERS))
def subject(request: pytest.FixtureRequest) -> Iterator[Subject]:
    made = ADAPTERS[request.param](request)
    if isinstance(made, Subject):
        yield made
    else:
        yield from made
