"""A catalog model's recommended sampling is what the local backend uses for anything a call and
the configuration leave unset (the default model otherwise loops to max_tokens on open prompts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chi_llm import MicroLLM
from chi_llm.adapters.models.catalog import YamlModelCatalog, spec_from_entry
from chi_llm.domain.errors import ConfigError
from chi_llm.domain.models.spec import Sampling

ENTRY = {"id": "m", "source": "hf:o/r/m.gguf"}


def test_a_catalog_entry_reads_its_sampling() -> None:
    spec = spec_from_entry({**ENTRY, "sampling": {"temperature": 0.3, "repeat_penalty": 1.2}}, where="t")
    assert spec.sampling == Sampling(temperature=0.3, repeat_penalty=1.2)
    assert spec_from_entry(ENTRY, where="t").sampling is None


@pytest.mark.parametrize("sampling", [{"temp": 0.3}, {"top_p": 3}, {"repeat_penalty": "x"}, [1]])
def test_bad_sampling_names_the_entry(sampling: Any) -> None:
    with pytest.raises(ConfigError, match="sampling") as error:
        spec_from_entry({**ENTRY, "sampling": sampling}, where="t")
    assert error.value.key == "m"


def test_the_default_model_has_a_repeat_penalty() -> None:
    catalog = YamlModelCatalog(env={})
    sampling = catalog.get(catalog.default_id).sampling
    assert sampling is not None and sampling.repeat_penalty > 1.0


@pytest.fixture
def captured(default_model_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The sampling arguments each decode hands llama.cpp."""
    monkeypatch.setenv("CHI_LLM_HOME", str(default_model_path.parent.parent))
    from llama_cpp import Llama

    calls: list[dict[str, Any]] = []
    original = Llama.generate

    def spy(self: Any, tokens: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return original(self, tokens, **kwargs)

    monkeypatch.setattr(Llama, "generate", spy)
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
