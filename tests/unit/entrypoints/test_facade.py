"""MicroLLM on the fake backend: every call shape, options, history and usage."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from chi_llm import ConfigError, InvalidRequest, MicroLLM, quick_llm
from chi_llm.adapters.fake import FakeTextGenerator


def fake_llm(*replies: str, **kwargs: object) -> MicroLLM:
    return MicroLLM(provider={"type": "fake", "replies": list(replies)}, **kwargs)  # type: ignore[arg-type]


def requests(llm: MicroLLM) -> list:  # type: ignore[type-arg]
    backend = llm.backend
    assert isinstance(backend, FakeTextGenerator)
    return backend.requests


def test_generate_chat_complete_ask_and_call() -> None:
    llm = fake_llm("one", "two", "three", "four", "five")
    assert llm.generate("a") == "one"
    assert llm.chat("b", history=[{"user": "u0", "assistant": "a0"}]) == "two"
    assert llm.complete("c") == "three"
    assert llm.ask("why?", context="because") == "four"
    assert llm("d") == "five"
    sent = requests(llm)
    assert [(m.role, m.content) for m in sent[1].messages] == [("user", "u0"), ("assistant", "a0"), ("user", "b")]
    assert sent[2].prompt == "c" and not sent[2].messages
    assert "because" in sent[3].messages[-1].content and "why?" in sent[3].messages[-1].content


def test_system_prompt_from_constructor_and_per_call() -> None:
    llm = fake_llm("x", "y", system="Be terse.")
    llm.generate("a")
    llm.chat("b", system="Be verbose.")
    first, second = requests(llm)
    assert (first.messages[0].role, first.messages[0].content) == ("system", "Be terse.")
    assert second.messages[0].content == "Be verbose."


def test_per_call_options_override_configured_defaults() -> None:
    llm = fake_llm("x", "y", temperature=0.2, max_tokens=50)
    llm.generate("a")
    llm.generate("b", temperature=1.5, max_tokens=3, stop=".", seed=4, top_p=0.5)
    first, second = (r.options for r in requests(llm))
    assert (first.temperature, first.max_tokens) == (0.2, 50)
    assert (second.temperature, second.max_tokens, second.stop, second.seed, second.top_p) == (1.5, 3, (".",), 4, 0.5)
    with pytest.raises(InvalidRequest, match="colour"):
        llm.generate("c", colour="red")


def test_usage_after_calls_and_streams() -> None:
    llm = fake_llm("alpha beta gamma", "one two")
    llm.generate("hello world")
    assert llm.last_usage.completion_tokens == 3 and llm.last_usage.prompt_tokens > 0
    assert list(llm.stream("x")) == ["one", " two"]
    assert llm.last_completion is not None and llm.last_completion.text == "one two"


async def test_async_calls() -> None:
    llm = fake_llm("a b", "c d", "e f", "g h")
    assert await llm.agenerate("x") == "a b"
    assert await llm.achat("y", history=[{"role": "user", "content": "z"}]) == "c d"
    assert [t async for t in llm.astream("x")] == ["e", " f"]
    assert await llm.acomplete("q") == "g h"


async def test_async_calls_run_concurrently_on_one_loop() -> None:
    llm = MicroLLM(provider={"type": "fake", "token_delay": 0.05})
    results = await asyncio.wait_for(asyncio.gather(*(llm.agenerate(f"n{i}") for i in range(5))), timeout=30)
    assert sorted(results) == sorted(f"Echo: n{i}" for i in range(5))


def test_configuration_reaches_the_facade(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (isolated / ".chi_llm.json").write_text(json.dumps({"max_tokens": 21, "provider": {"type": "fake"}}))
    monkeypatch.setenv("CHI_LLM_TEMPERATURE", "0.4")
    llm = MicroLLM()
    llm.generate("x")
    options = requests(llm)[0].options
    assert (options.max_tokens, options.temperature) == (21, 0.4)
    assert MicroLLM(max_tokens=7).settings["max_tokens"] == 7


def test_config_path_argument(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("provider: {type: fake, replies: [from-file]}\n")
    assert MicroLLM(config_path=path).generate("x") == "from-file"


def test_bad_configuration_raises_config_error(isolated: Path) -> None:
    (isolated / ".chi_llm.yaml").write_text("context: -1\n")
    with pytest.raises(ConfigError, match="context"):
        MicroLLM()


def test_quick_llm() -> None:
    assert quick_llm("hey", provider="fake") == "Echo: hey"


def test_a_remote_profile_tells_its_context_to_the_task_helpers() -> None:
    """A profile's (or the configured) `context` is the window remote backends report, so long
    texts are split by it instead of the 4096-token default."""
    from chi_llm import MicroLLM
    from chi_llm.adapters.providers.registry import schemas

    for kind in ("ollama", "openai", "lmstudio", "anthropic", "gemini"):
        settings = {"type": kind, "base_url": "http://127.0.0.1:9", "model": "m", "api_key": "k-123456"}
        known = {f.name for f in schemas()[kind].fields}
        profile = {k: v for k, v in settings.items() if k in known or k == "type"}
        assert MicroLLM(provider={**profile, "context": 32768}).backend.context_window() == 32768, kind
        unset = 4096 if kind == "ollama" else None  # Ollama is always sent num_ctx (default 4096)
        assert MicroLLM(provider=profile).backend.context_window() == unset, kind
        assert MicroLLM(provider=profile, context=8192).backend.context_window() == 8192, kind
