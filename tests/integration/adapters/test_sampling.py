"""A catalog model's recommended sampling is what the local backend uses for anything a call and
the configuration leave unset (the default model otherwise loops to max_tokens on open prompts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chi_llm import MicroLLM
from chi_llm.adapters.models.catalog import YamlModelCatalog


@pytest.fixture
def captured(default_model_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The sampling settings of each sequence's sampler chain in llama.cpp."""
    monkeypatch.setenv("CHI_LLM_HOME", str(default_model_path.parent.parent))
    from chi_llm.adapters.llama_cpp.engine.sampling import Sampler, SamplingPlan

    calls: list[dict[str, Any]] = []
    original = Sampler.__init__

    def spy(self: Any, vocab: Any, plan: SamplingPlan) -> None:
        calls.append(
            {
                "temp": plan.temperature,
                "top_p": plan.top_p,
                "top_k": plan.top_k,
                "min_p": plan.min_p,
                "repeat_penalty": plan.repeat_penalty,
            }
        )
        original(self, vocab, plan)

    monkeypatch.setattr(Sampler, "__init__", spy)
    return calls


def test_unset_values_come_from_the_catalog(isolated: Path, captured: list[dict[str, Any]]) -> None:
    catalog = YamlModelCatalog(env={})
    recommended = catalog.get(catalog.default_id).sampling
    assert recommended is not None
    MicroLLM().generate("hi", max_tokens=2)
    MicroLLM().generate("hi", max_tokens=2, temperature=0.0)
    default, explicit = captured
    assert (default["temp"], default["top_p"], default["repeat_penalty"]) == (
        recommended.temperature,
        recommended.top_p,
        recommended.repeat_penalty,
    )
    assert default["top_k"] == recommended.top_k and default["min_p"] == recommended.min_p
    assert explicit["temp"] == 0.0 and explicit["repeat_penalty"] == recommended.repeat_penalty


def test_configured_values_beat_the_catalog(
    isolated: Path, captured: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHI_LLM_TEMPERATURE", "0.15")
    MicroLLM().generate("hi", max_tokens=2)
    assert captured[0]["temp"] == 0.15
