"""The composition root builds every provider type through the registry, with its wiring used."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.adapters.providers.registry import PROVIDER_TYPES
from chi_llm.application.generation import GenerationService
from chi_llm.application.provider_router import ProviderRouter
from chi_llm.domain.errors import ConfigError, MissingCredentials
from chi_llm.entrypoints.wiring import wire

BRANCHES: dict[str, tuple[dict[str, Any], str]] = {
    "local": ({"type": "local"}, "llama.cpp"),
    "fake": ({"type": "fake"}, "fake"),
    "openai": ({"type": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m"}, "openai"),
    "lmstudio": ({"type": "lmstudio", "model": "m"}, "lmstudio"),
    "ollama": ({"type": "ollama", "model": "m"}, "ollama"),
    "anthropic": ({"type": "anthropic", "model": "m", "api_key": "k"}, "anthropic"),
    "gemini": ({"type": "gemini", "model": "m", "api_key": "k"}, "gemini"),
}


def test_every_registered_type_has_a_branch_here() -> None:
    assert set(BRANCHES) == set(PROVIDER_TYPES)


@pytest.mark.parametrize("branch", list(BRANCHES))
def test_every_provider_branch_builds(branch: str) -> None:
    provider, expected = BRANCHES[branch]
    container = wire(provider=provider, max_tokens=9)
    service = container.generation()
    assert isinstance(service, GenerationService) and isinstance(service.generator, ProviderRouter)
    assert service.defaults.max_tokens == 9
    assert service.generator.primary.name == expected
    assert container.generation().generator is service.generator  # one router (and adapters) per container


@pytest.mark.parametrize(
    ("provider", "header", "value"),
    [
        ({"type": "openai", "base_url": "http://127.0.0.1:9/v1", "api_key": "sk-1"}, "authorization", "Bearer sk-1"),
        ({"type": "anthropic", "model": "m", "api_key": "sk-2"}, "x-api-key", "sk-2"),
        ({"type": "gemini", "model": "m", "api_key": "sk-3"}, "x-goog-api-key", "sk-3"),
    ],
)
def test_auth_headers_come_from_the_profile(provider: dict[str, Any], header: str, value: str) -> None:
    adapter: Any = wire(provider=provider).generator().primary
    assert adapter.transport.headers[header.title() if header == "authorization" else header] == value


def test_keys_come_from_the_environment_when_the_profile_has_none() -> None:
    container = wire(env={"ANTHROPIC_API_KEY": "from-env"}, provider={"type": "anthropic", "model": "m"})
    adapter: Any = container.generator().primary
    assert adapter.transport.headers["x-api-key"] == "from-env"


def test_missing_api_keys_are_reported_when_used() -> None:
    router = wire(env={}, provider={"type": "anthropic", "model": "m"}).generator()
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

    def order(**kw: Any) -> list[str]:
        return [p.id for p in wire(**kw).generator().candidates]

    assert order() == ["c", "b", "a", "local"]  # the embedded model, last
    assert order(tags=["fast"]) == ["b", "a"]
    assert order(tags=["smart"]) == ["b"]
    assert order(provider="a") == ["a"]
    with pytest.raises(ConfigError, match="no provider profile 'zzz'"):
        wire(provider="zzz").generator()


def test_models_live_under_the_cache_dir(tmp_path: Path) -> None:
    assert wire(cache_dir=str(tmp_path / "c")).model_files().models_dir == tmp_path / "c" / "models"


def test_overridden_adapters_are_used() -> None:
    fake = FakeTextGenerator(["scripted"])
    container = wire()
    container.generator.override(fake)
    assert container.generation().generator is fake
    assert container.generation().generate(container.generation().raw_request("x")).text == "scripted"


def test_settings_are_resolved_once_and_shared() -> None:
    container = wire(temperature=0.3)
    assert container.settings() is container.library().settings is container.provider_service().settings
    assert container.generation().defaults.temperature == 0.3


def test_each_lazy_part_builds_what_its_type_says() -> None:
    """container.<part>() is typed by the return annotation of its factory in container_parts
    (what mypy gives callers); the object built must be of that class, or have that port's methods."""
    import inspect

    from chi_llm.entrypoints import container_parts
    from chi_llm.entrypoints.container import Container

    container = wire(provider={"type": "fake"}, rag={"embedding_model": "fake", "db": "memory:"})
    built = 0
    for name, provider in Container.providers.items():
        factory = getattr(provider, "provides", None)
        if inspect.getmodule(factory) is not container_parts:
            continue
        declared = factory.__annotations__["return"]
        made = getattr(container, name)()
        port = vars(container_parts).get(declared)
        if port is not None:  # a port (Protocol) imported at run time: the object has its methods
            assert all(hasattr(made, m) for m in dir(port) if not m.startswith("_")), name
        else:
            assert declared in {kind.__name__ for kind in type(made).__mro__}, (name, declared, type(made))
        built += 1
    assert built >= 20
