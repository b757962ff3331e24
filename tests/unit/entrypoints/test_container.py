"""The container builds every provider branch with its dependencies satisfied."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.application.generation import GenerationService
from chi_llm.application.router import ProviderRouter
from chi_llm.domain.errors import ConfigError, MissingCredentials
from chi_llm.entrypoints.container import build_container, config_service

BRANCHES: dict[str, tuple[dict[str, Any], str]] = {
    "local": ({"type": "local"}, "llama.cpp"),
    "fake": ({"type": "fake"}, "fake"),
    "openai": ({"type": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m"}, "openai"),
    "lmstudio": ({"type": "lmstudio", "model": "m"}, "lmstudio"),
    "ollama": ({"type": "ollama", "model": "m"}, "ollama"),
    "anthropic": ({"type": "anthropic", "model": "m", "api_key": "k"}, "anthropic"),
    "gemini": ({"type": "gemini", "model": "m", "api_key": "k"}, "gemini"),
}


@pytest.mark.parametrize("branch", list(BRANCHES))
def test_every_provider_branch_builds(branch: str) -> None:
    provider, expected = BRANCHES[branch]
    settings = config_service().resolve({"max_tokens": 9}, check_model=branch == "local")
    container = build_container(settings, provider=provider)
    container.check_dependencies()
    service = container.generation()
    assert isinstance(service, GenerationService) and isinstance(service.generator, ProviderRouter)
    assert service.defaults.max_tokens == 9
    assert service.generator.primary.name == expected
    assert container.generation().generator is service.generator  # one router (and adapters) per container


def test_missing_api_keys_are_reported_when_used() -> None:
    settings = config_service().resolve(None, check_model=False)
    router = build_container(settings, provider={"type": "anthropic", "model": "m"}).generator()
    with pytest.raises(MissingCredentials, match="ANTHROPIC_API_KEY"):
        _ = router.primary


def test_profiles_tags_and_default(isolated: Path) -> None:
    (isolated / ".chi_llm.yaml").write_text(
        "providers:\n"
        "  - {id: a, type: fake, tags: [fast], priority: 5}\n"
        "  - {id: b, type: fake, tags: [fast, smart], priority: 1}\n"
        "  - {id: c, type: fake, priority: 3}\n"
        "default_provider: c\n"
    )
    settings = config_service().resolve()
    order = lambda **kw: [p.id for p in build_container(settings, **kw).generator().candidates]  # noqa: E731
    assert order() == ["c", "b", "a"]
    assert order(tags=["fast"]) == ["b", "a"]
    assert order(tags=["smart"]) == ["b"]
    assert order(provider="a") == ["a"]
    with pytest.raises(ConfigError, match="no provider profile 'zzz'"):
        build_container(settings, provider="zzz").generator()


def test_models_live_under_the_cache_dir(tmp_path: Path) -> None:
    settings = config_service().resolve({"cache_dir": str(tmp_path / "c")})
    assert build_container(settings).model_files().models_dir == tmp_path / "c" / "models"


def test_overrides_replace_adapters() -> None:
    fake = FakeTextGenerator(["scripted"])
    container = build_container(config_service().resolve(), generator=fake)
    assert container.generation().generator is fake
