"""The `parallel` setting (requests a local model decodes together) reaches the llama.cpp
adapter from every place it can be given: the configuration, CHI_LLM_PARALLEL, a `local`
profile's own `parallel`, MicroLLM(parallel=...); a one-shot CLI generation asks for one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chi_llm.adapters.llama_cpp import generator as llama_generator
from chi_llm.domain.errors import ConfigError
from chi_llm.domain.providers import ProviderProfile
from chi_llm.entrypoints.cli.options import build_llm
from chi_llm.entrypoints.facade import MicroLLM
from chi_llm.entrypoints.wiring import wire


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The keywords of every LlamaCppGenerator built (none is: nothing loads)."""
    calls: list[dict[str, Any]] = []

    def record(**kwargs: Any) -> object:
        calls.append(kwargs)
        return object()

    monkeypatch.setattr(llama_generator, "LlamaCppGenerator", record)
    return calls


def local(**settings: Any) -> ProviderProfile:
    return ProviderProfile(id="local", type="local", settings=settings)


def test_unset_means_auto_and_the_setting_or_the_profile_choose(isolated: Path, built: list[dict[str, Any]]) -> None:
    wire().build()(local())
    wire(parallel=3).build()(local())
    wire(parallel=3).build()(local(parallel=2))  # the profile's own wins, as for threads
    assert [call["parallel"] for call in built] == [None, 3, 2]
    assert built[0]["admit"] is not None  # admission sizes the slots to memory


def test_the_environment_and_a_profile_file_are_read_and_checked(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, built: list[dict[str, Any]]
) -> None:
    monkeypatch.setenv("CHI_LLM_PARALLEL", "6")
    container = wire()
    assert container.settings()["parallel"] == 6
    container.build()(container.settings().profiles()[0])
    (isolated / ".chi_llm.json").write_text(json.dumps({"provider": {"type": "local", "parallel": 8}}))
    profile = wire().settings().profiles()[0]
    assert profile.settings["parallel"] == 8
    wire().build()(profile)
    assert [call["parallel"] for call in built] == [6, 8]
    for bad in (0, 257, "many"):
        (isolated / ".chi_llm.json").write_text(json.dumps({"provider": {"type": "local", "parallel": bad}}))
        with pytest.raises(ConfigError, match="parallel"):
            wire()


def test_microllm_takes_parallel(isolated: Path) -> None:
    llm = MicroLLM(parallel=2)
    assert llm.settings["parallel"] == 2 and llm.settings.source("parallel") == "argument"
    with pytest.raises(ConfigError, match="parallel"):
        MicroLLM(parallel=0)


def test_a_one_shot_generation_asks_for_one_sequence_unless_parallel_was_set(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert build_llm(one_shot="hi").settings["parallel"] == 1
    assert build_llm().settings["parallel"] is None  # chat and the like keep the default
    monkeypatch.setenv("CHI_LLM_PARALLEL", "3")
    assert build_llm(one_shot="hi").settings["parallel"] == 3
    monkeypatch.setenv("CHI_LLM_PROVIDER_TYPE", "fake")
    monkeypatch.delenv("CHI_LLM_PARALLEL")
    assert build_llm(one_shot="hi").settings["parallel"] is None  # no local model: nothing to size
