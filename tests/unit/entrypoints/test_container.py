"""The container builds every selector branch with its dependencies satisfied."""

from __future__ import annotations

from pathlib import Path

import pytest

from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.application.generation import GenerationService
from chi_llm.entrypoints.container import build_container, config_service


@pytest.mark.parametrize("backend", ["local", "fake"])
def test_every_backend_branch_builds(backend: str) -> None:
    settings = config_service().resolve({"provider": {"type": backend}, "max_tokens": 9})
    container = build_container(settings)
    container.check_dependencies()
    service = container.generation()
    assert isinstance(service, GenerationService)
    assert service.defaults.max_tokens == 9
    expected = "fake" if backend == "fake" else "llama.cpp"
    assert service.generator.name == expected
    assert container.generation().generator is service.generator  # adapters are singletons


def test_models_live_under_the_cache_dir(tmp_path: Path) -> None:
    settings = config_service().resolve({"cache_dir": str(tmp_path / "c")})
    assert build_container(settings).model_files().models_dir == tmp_path / "c" / "models"


def test_overrides_replace_adapters() -> None:
    fake = FakeTextGenerator(["scripted"])
    container = build_container(config_service().resolve(), generator=fake)
    assert container.generation().generator is fake
