"""The tool-calling contract (test_tools.py) on the llama.cpp adapter and the real embedded model.

It cannot join conftest.TOOLS: that contract scripts the calls an engine answers with, and a real
model's calls cannot be scripted; and its subjects run a 256-token context, less than the tools'
section of the prompt takes. So the same promises are checked here on a forced call (tool_choice
names the tool, greedy decoding): whole, streamed and async answers make the same calls with
finish reason tool_calls, the declared tools reach the model, tool results in the history are taken.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from chi_llm.domain.generation import Chunk, GenerationOptions, GenerationRequest, collect
from chi_llm.domain.tools import ToolSet
from tests.contract.test_tools import ANSWERED, ASK, OFFERED, called

FORCED = replace(
    ASK, options=GenerationOptions(tools=replace(OFFERED, choice="weather"), max_tokens=64, temperature=0.0, seed=1)
)


@pytest.fixture(scope="module")
def local(default_model_path: Path) -> Any:
    """The adapter as production wires it (the registry's `local` type over the model store)."""
    from chi_llm.adapters.models.catalog import YamlModelCatalog
    from chi_llm.adapters.models.files import LocalModelFiles
    from chi_llm.adapters.providers.provider_type import BuildContext
    from chi_llm.adapters.providers.registry import PROVIDER_TYPES
    from chi_llm.application.models.store import ModelStore
    from chi_llm.domain.providers import ProviderProfile
    from tests.conftest import shared_models_dir

    models = ModelStore(YamlModelCatalog(env={}), LocalModelFiles(shared_models_dir()), {})
    context = BuildContext(model=str(default_model_path), local_context=1024, locate=models.locate)
    return PROVIDER_TYPES["local"].build(ProviderProfile(id="local", type="local"), context)


async def test_whole_streamed_and_async_answers_make_the_same_calls(local: Any) -> None:
    assert local.calls_tools()
    whole = local.generate(FORCED)
    chunks = list(local.stream(FORCED))
    later = await local.agenerate(FORCED)
    achunks: list[Chunk] = [c async for c in local.astream(FORCED)]
    for completion in (whole, collect(chunks), later, collect(achunks)):
        assert completion.finish_reason == "tool_calls"
        [(name, arguments)] = called(completion)
        assert name == "weather" and isinstance(arguments["city"], str)
        assert called(completion) == called(whole) and all(call.id for call in completion.tool_calls)
    assert sum(1 for c in chunks if c.tool_calls) == 1  # the call came as a delta
    assert [c.finish_reason is not None for c in chunks].count(True) == 1 and chunks[-1].finish_reason


def test_the_declared_tools_reach_the_model(local: Any) -> None:
    prompt, _, _ = local.load().format_chat(ASK.messages, OFFERED)
    assert '"name": "weather"' in prompt and '"name": "clock"' in prompt
    unoffered, _, _ = local.load().format_chat(ASK.messages, replace(OFFERED, choice="none"))
    assert '"name": "weather"' not in unoffered


def test_tool_results_in_the_history_are_taken(local: Any) -> None:
    prompt, _, _ = local.load().format_chat(ANSWERED.messages, OFFERED)
    assert "sunny, 21 C" in prompt and '{"name": "weather", "arguments": {"city": "Paris"}}' in prompt
    options = GenerationOptions(tools=ToolSet(tools=OFFERED.tools, choice="none"), max_tokens=16, temperature=0.0)
    answer = local.generate(GenerationRequest(messages=ANSWERED.messages, options=options))
    assert answer.text and answer.tool_calls == () and answer.finish_reason in ("stop", "length")
