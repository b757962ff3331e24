"""The llama.cpp adapter and MicroLLM on the real embedded default model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chi_llm import MicroLLM, ModelCorrupt
from chi_llm.adapters.llama_cpp import LlamaCppGenerator
from chi_llm.adapters.llama_cpp.load_defaults import physical_cores
from chi_llm.domain.generation import GenerationOptions, GenerationRequest
from chi_llm.domain.messages import Message

GREEDY = GenerationOptions(temperature=0.0, max_tokens=12, seed=1)


def generator(path: Path, **kwargs: object) -> LlamaCppGenerator:
    return LlamaCppGenerator(locate=Path, default_model=str(path), **kwargs)  # type: ignore[arg-type]


def chat(*turns: tuple[str, str], options: GenerationOptions = GREEDY) -> GenerationRequest:
    return GenerationRequest(messages=tuple(Message(role=r, content=c) for r, c in turns), options=options)  # type: ignore[arg-type]


@pytest.fixture
def zero_config(default_model_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point CHI_LLM_HOME at the shared test cache so the default model is not fetched again."""
    monkeypatch.setenv("CHI_LLM_HOME", str(default_model_path.parent.parent))


def test_zero_config_microllm_generates(zero_config: None) -> None:
    llm = MicroLLM()
    text = llm.generate("Write a haiku about the sea", max_tokens=24)
    assert text.strip()
    assert llm.last_usage.prompt_tokens > 0 and 0 < llm.last_usage.completion_tokens <= 24
    pieces = list(llm.stream("Say hello", max_tokens=8))
    assert len(pieces) >= 2 and llm.last_completion is not None


async def test_zero_config_async(zero_config: None) -> None:
    llm = MicroLLM()
    assert (await llm.agenerate("Hi", max_tokens=6)).strip()
    assert [p async for p in llm.astream("Hi", max_tokens=6)]


def test_models_are_cached_per_path_not_a_singleton(default_model_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.gguf"
    shutil.copyfile(default_model_path, copy)
    first, second = generator(default_model_path), generator(copy)
    assert first.load() is not second.load()
    assert first.load() is generator(default_model_path).load()  # same parameters share one load
    assert first.load().llm is not second.load().llm
    assert first.generate(chat(("user", "hi"))).text == second.generate(chat(("user", "hi"))).text


def test_system_prompt_and_chat_template_are_applied(default_model_path: Path) -> None:
    model = generator(default_model_path)
    plain = model.generate(chat(("user", "Hello"))).usage.prompt_tokens
    with_system = model.generate(chat(("system", "You are a pirate who answers briefly."), ("user", "Hello")))
    raw = model.generate(GenerationRequest(prompt="Hello", options=GREEDY)).usage.prompt_tokens
    assert raw < plain  # the template adds role markers
    assert with_system.usage.prompt_tokens > raw + 5
    rendered, _, _ = model.load().format_chat([Message(role="system", content="S!"), Message(role="user", content="U")])
    assert "<|im_start|>system\nS!" in rendered and rendered.rstrip().endswith("<|im_start|>assistant")


def test_context_is_capped_by_the_trained_context(default_model_path: Path) -> None:
    assert generator(default_model_path, context=1024).load().context == 1024
    assert generator(default_model_path, context=65536).load().context == 8192


def test_threads_default_to_physical_cores(default_model_path: Path) -> None:
    loaded = generator(default_model_path, context=512).load()
    assert loaded.params.threads == physical_cores() >= 1
    import llama_cpp

    assert loaded.params.gpu_layers == (-1 if llama_cpp.llama_supports_gpu_offload() else 0)


def test_corrupt_model_file_is_refused(tmp_path: Path, default_model_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(default_model_path.read_bytes()[:4096])
    with pytest.raises(ModelCorrupt):
        generator(broken).generate(chat(("user", "hi")))


def test_configured_load_settings_take_effect(zero_config: None, isolated: Path) -> None:
    (isolated / ".chi_llm.yaml").write_text("context: 512\nthreads: 1\ngpu_layers: 0\n")
    backend = MicroLLM().backend
    assert isinstance(backend, LlamaCppGenerator)
    loaded = backend.load()
    assert (loaded.context, loaded.params.threads, loaded.params.gpu_layers) == (512, 1, 0)


def test_json_mode_constrains_local_output(zero_config: None) -> None:
    import json

    text = MicroLLM().generate(
        "Give a JSON object with keys name and age for Alice, 30.", json=True, max_tokens=80, temperature=0.0
    )
    assert isinstance(json.loads(text), dict)


def test_threads_are_bounded_by_the_machine(default_model_path: Path) -> None:
    import os

    assert generator(default_model_path, context=512, threads=100000).load().params.threads == os.cpu_count()


def test_a_context_that_is_not_a_multiple_of_256_is_honoured(default_model_path: Path) -> None:
    from chi_llm import ContextLengthExceeded

    model = generator(default_model_path, context=300)
    with pytest.raises(ContextLengthExceeded) as error:
        model.generate(GenerationRequest(prompt="word " * 320, options=GREEDY))
    assert error.value.context == 300
    story = "Tell me a very long story about a dragon. " * 20
    filled = model.generate(GenerationRequest(prompt=story, options=GenerationOptions(max_tokens=200, seed=1)))
    assert filled.usage.prompt_tokens + filled.usage.completion_tokens <= 300


def test_an_empty_raw_prompt_is_an_invalid_request(zero_config: None) -> None:
    # llama-cpp-python asserted (AssertionError, a 500 from the server) on a prompt of no tokens.
    from chi_llm import InvalidRequest

    llm = MicroLLM()
    with pytest.raises(InvalidRequest, match="empty"):
        llm.complete("", max_tokens=4)
    assert llm.complete("Once", max_tokens=2)  # the model still answers afterwards
