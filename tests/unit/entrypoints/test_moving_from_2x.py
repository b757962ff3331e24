"""A chi_llm 2.x user's project, environment and code keep working, with a notice on stderr."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

import chi_llm
from chi_llm import InvalidRequest, MicroLLM, ModelManager
from tests.support.cli import run


def test_models_info_takes_an_old_id(isolated: Path) -> None:
    result = run("models", "info", "phi3-mini", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["id"] == "phi-3.5-mini"


def test_config_migrate_rewrites_the_project_file(isolated: Path) -> None:
    path = isolated / ".chi_llm.json"
    path.write_text(json.dumps({"default_model": "qwen3-1.7b", "provider_profiles": [{"name": "o", "type": "ollama"}]}))
    result = run("config", "migrate", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(path.read_text()) == {"model": "qwen3-1.7b", "providers": [{"id": "o", "type": "ollama"}]}
    assert json.loads(result.stdout)["changed"]
    again = run("config", "migrate")
    assert again.exit_code == 0 and "nothing to change" in again.stderr


def test_microllm_keeps_verbose_temperature_and_max_tokens(isolated: Path) -> None:
    logger = logging.getLogger("chi_llm")
    handlers, level = list(logger.handlers), logger.level
    try:
        llm = MicroLLM(provider={"type": "fake", "replies": ["one two three four five"]}, verbose=True)
        assert llm.verbose is True
        assert any(getattr(h, "chi_llm_verbose", False) for h in logger.handlers)
    finally:
        logger.handlers[:], logger.level = handlers, level
    llm.max_tokens = 2
    llm.temperature = 0.1
    assert (llm.max_tokens, llm.temperature) == (2, 0.1)
    assert llm.generate("hi").split() == ["one", "two"]
    with pytest.raises(InvalidRequest):
        llm.temperature = 5


def test_model_manager_keeps_its_2x_methods(isolated: Path) -> None:
    manager = ModelManager()
    assert manager.get_current_model().id == "smollm2-135m"
    assert manager.is_downloaded("phi3-mini") is False
    assert manager.get_model_path("gemma-270m").endswith("gemma-3-270m-it-Q4_K_M.gguf")
    assert manager.recommend_model() in {m.id for m in manager.list_models()}
    assert all(m.fit.fits for m in manager.list_models(show_all=False))
    stats = manager.get_model_stats()
    assert stats["current_model"] == "smollm2-135m" and stats["total_models"] >= 25
    written = manager.set_default_model("phi3-mini", save_target="local")
    assert written == isolated / ".chi_llm.json"
    assert json.loads(written.read_text()) == {"model": "phi-3.5-mini"}


def test_load_config_and_models(isolated: Path) -> None:
    (isolated / ".chi_llm.json").write_text(json.dumps({"preferred_max_tokens": 64}))
    assert chi_llm.load_config()["max_tokens"] == 64
    models = chi_llm.MODELS
    assert models["gemma-270m"].id == "gemma-3-270m" and "phi3-mini" in models
    assert models["smollm2-135m"].context_window == 8192
