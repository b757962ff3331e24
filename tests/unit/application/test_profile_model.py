"""Which model a provider profile generates with: one rule, in application/, fed the registry's
`catalog_models` flag by the caller (application does not know the provider adapters)."""

from __future__ import annotations

from dataclasses import replace

from chi_llm.application.profile_model import model_of
from chi_llm.domain.providers import ProviderProfile
from chi_llm.domain.settings import Setting, Settings


def settings(model: str | None = None, source: str = "project") -> Settings:
    defaults = Settings.defaults()
    if model is None:
        return defaults
    return replace(defaults, values={**defaults.values, "model": Setting(key="model", value=model, source=source)})


LOCAL = ProviderProfile(id="local", type="local")
REMOTE = ProviderProfile(id="api", type="openai")
OWN = ProviderProfile(id="api", type="openai", settings={"model": "own-model"})


def test_the_built_in_default_model_applies_only_to_a_catalog_provider() -> None:
    default = str(Settings.defaults()["model"])
    assert model_of(LOCAL, settings(), catalog_models=True) == default
    assert model_of(REMOTE, settings(), catalog_models=False) is None  # its server does not know catalog ids


def test_a_configured_model_applies_to_every_profile_without_its_own() -> None:
    assert model_of(REMOTE, settings("qwen"), catalog_models=False) == "qwen"
    assert model_of(OWN, settings("qwen"), catalog_models=False) == "own-model"


def test_a_model_given_as_an_argument_wins_over_the_profile_own() -> None:
    assert model_of(OWN, settings("chosen", source="argument"), catalog_models=False) == "chosen"
