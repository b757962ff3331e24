"""chi_llm 2.x files, provider shapes, environment and model ids: read as today's keys, with a
notice that says what to write instead; rewritten in today's keys only when the user changes the file."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from chi_llm.adapters.config_files import FileConfigStore
from chi_llm.adapters.models.catalog import YamlModelCatalog
from chi_llm.adapters.providers.registry import schemas
from chi_llm.application import config as config_module
from chi_llm.application.config import ConfigService
from chi_llm.domain.errors import ConfigError
from chi_llm.domain.legacy import LEGACY_MODEL_IDS

CATALOG_IDS = [spec.id for spec in YamlModelCatalog(env={}).all()]


@pytest.fixture(autouse=True)
def fresh_notices() -> Iterator[None]:
    config_module._shown_notices.clear()
    yield
    config_module._shown_notices.clear()


def service(tmp: Path, env: dict[str, str] | None = None) -> ConfigService:
    env = {"XDG_CONFIG_HOME": str(tmp / "xdg"), **(env or {})}
    return ConfigService(FileConfigStore(tmp, env), env, schemas=schemas(), known_models=lambda values: CATALOG_IDS)


def project(tmp: Path, data: object) -> Path:
    path = tmp / ".chi_llm.json"
    path.write_text(json.dumps(data))
    return path


def notices(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.name == "chi_llm")


def test_every_old_model_id_maps_to_a_packaged_catalog_entry() -> None:
    assert all(new in CATALOG_IDS for new in LEGACY_MODEL_IDS.values())
    assert not set(LEGACY_MODEL_IDS) & set(CATALOG_IDS)


def test_an_old_project_file_resolves_with_notices(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # what chi_llm 2.x's `bootstrap` and `models set --local` wrote
    project(
        tmp_path,
        {
            "default_model": "gemma-270m",
            "preferred_context": 2048,
            "preferred_max_tokens": 300,
            "downloaded_models": ["gemma-270m"],
            "allow_global": True,
            "resolution_mode": "project-first",
        },
    )
    with caplog.at_level(logging.WARNING, logger="chi_llm"):
        settings = service(tmp_path).resolve()
    assert settings["model"] == "gemma-3-270m"
    assert settings["context"] == 2048 and settings["max_tokens"] == 300
    said = notices(caplog)
    assert "'default_model' is read as 'model'" in said and "'gemma-3-270m'" in said
    assert "'downloaded_models' is ignored" in said and "'preferred_context' is read as 'context'" in said


def test_the_old_provider_shape_becomes_a_base_url(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    project(tmp_path, {"provider": {"type": "ollama", "host": "localhost", "port": 11500, "timeout": 45, "model": "m"}})
    with caplog.at_level(logging.WARNING, logger="chi_llm"):
        profile = service(tmp_path).resolve()["provider"]
    assert profile.type == "ollama"
    assert profile.settings["base_url"] == "http://localhost:11500"
    assert profile.settings["read_timeout"] == 45.0 and profile.settings["model"] == "m"
    assert "write base_url: http://localhost:11500 instead" in notices(caplog)


@pytest.mark.parametrize(
    ("provider", "base_url"),
    [
        ({"type": "lmstudio", "host": "127.0.0.1"}, "http://127.0.0.1:1234"),
        ({"type": "ollama", "port": 11434}, "http://127.0.0.1:11434"),
        ({"type": "openai", "host": "10.0.0.5", "port": 8000, "api_key": "sk-123456"}, "http://10.0.0.5:8000/v1"),
        ({"type": "lmstudio", "base_url": "http://box:1234", "port": 4321}, "http://box:4321"),
        ({"type": "groq", "api_key": "gsk-123456"}, "https://api.groq.com/openai/v1"),
    ],
)
def test_host_and_port_per_type(tmp_path: Path, provider: dict[str, object], base_url: str) -> None:
    project(tmp_path, {"provider": provider})
    assert service(tmp_path).resolve()["provider"].settings["base_url"] == base_url


def test_old_local_provider_fields(tmp_path: Path) -> None:
    model = tmp_path / "mine.gguf"
    project(
        tmp_path,
        {
            "provider": {
                "type": "local-custom",
                "model_path": str(model),
                "context_window": 1024,
                "n_gpu_layers": 0,
                "output_tokens": 77,
            }
        },
    )
    settings = service(tmp_path).resolve()
    profile = settings["provider"]
    assert profile.type == "local"
    assert profile.settings == {"model": str(model), "context": 1024, "gpu_layers": 0}
    assert settings["max_tokens"] == 77


def test_provider_env_host_and_port(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    env = {"CHI_LLM_PROVIDER_TYPE": "lmstudio", "CHI_LLM_PROVIDER_HOST": "box", "CHI_LLM_PROVIDER_PORT": "9999"}
    with caplog.at_level(logging.WARNING, logger="chi_llm"):
        profile = service(tmp_path, env).resolve()["provider"]
    assert profile.settings["base_url"] == "http://box:9999"
    assert "set CHI_LLM_PROVIDER_BASE_URL=http://box:9999 instead" in notices(caplog)


def test_provider_env_port_over_a_project_type(tmp_path: Path) -> None:
    project(tmp_path, {"provider": {"type": "ollama"}})
    profile = service(tmp_path, {"CHI_LLM_PROVIDER_PORT": "12000"}).resolve()["provider"]
    assert profile.settings["base_url"] == "http://127.0.0.1:12000"


def test_old_environment_switches_are_named_as_ignored(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="chi_llm"):
        service(tmp_path, {"CHI_LLM_ALLOW_GLOBAL": "1"}).resolve()
    assert "env CHI_LLM_ALLOW_GLOBAL: ignored" in notices(caplog)


def test_provider_profiles_become_providers(tmp_path: Path) -> None:
    project(
        tmp_path,
        {
            "provider_profiles": [
                {"name": "studio", "type": "lmstudio", "host": "127.0.0.1", "port": 1234, "tags": ["fast"]},
                {"name": "cloud", "type": "openai", "api_key": "sk-abcdef", "model": "gpt-4o-mini", "priority": 5},
                {"name": "cli", "type": "claude-cli"},
            ]
        },
    )
    profiles = service(tmp_path).resolve().profiles()
    configured = [(p.id, p.type, p.priority) for p in profiles if not p.fallback]
    assert configured == [("studio", "lmstudio", 100), ("cloud", "openai", 5)] and profiles[-1].id == "local"
    assert profiles[0].tags == ("fast",) and profiles[0].settings["base_url"] == "http://127.0.0.1:1234"
    assert profiles[1].settings["api_key"] == "sk-abcdef"


def test_a_gone_provider_type_says_what_to_use(tmp_path: Path) -> None:
    project(tmp_path, {"provider": {"type": "claude-cli"}})
    with pytest.raises(ConfigError, match="use type 'anthropic'"):
        service(tmp_path).resolve()


def test_an_old_model_id_as_an_argument(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="chi_llm"):
        settings = service(tmp_path).resolve({"model": "phi3-mini"})
    assert settings["model"] == "phi-3.5-mini"
    assert "'phi3-mini' is a chi_llm 2.x id, read as 'phi-3.5-mini'" in notices(caplog)


def test_a_change_rewrites_the_file_in_todays_keys(tmp_path: Path) -> None:
    path = project(
        tmp_path,
        {"default_model": "gemma2-2b", "preferred_max_tokens": 99, "provider": {"type": "local-zeroconfig"}},
    )
    service(tmp_path).set_value("temperature", "0.2")
    assert json.loads(path.read_text()) == {
        "model": "gemma-2-2b",
        "max_tokens": 99,
        "provider": {"type": "local"},
        "temperature": 0.2,
    }


def test_a_remote_providers_model_name_is_left_alone(tmp_path: Path) -> None:
    path = project(tmp_path, {"default_model": "gemma2-2b", "provider": {"type": "ollama", "port": 11434}})
    service(tmp_path).set_value("temperature", "0.2")
    assert json.loads(path.read_text()) == {
        "model": "gemma2-2b",  # a name the Ollama server knows, not a catalog id
        "provider": {"type": "ollama", "base_url": "http://127.0.0.1:11434"},
        "temperature": 0.2,
    }


def test_config_set_accepts_the_old_key_names(tmp_path: Path) -> None:
    path = project(tmp_path, {})
    service(tmp_path).set_value("default_model", "qwen3-1.7b")
    assert json.loads(path.read_text()) == {"model": "qwen3-1.7b"}


def test_migrate_rewrites_only_when_needed(tmp_path: Path) -> None:
    path = project(tmp_path, {"default_model": "gemma-270m"})
    written, changes = service(tmp_path).migrate()
    assert written == path and changes
    assert json.loads(path.read_text()) == {"model": "gemma-3-270m"}
    before = path.stat().st_mtime_ns
    assert service(tmp_path).migrate()[1] == []
    assert path.stat().st_mtime_ns == before


def test_provider_profiles_beside_a_list_with_an_id_that_is_not_text(tmp_path: Path) -> None:
    """Found by the configuration fuzz test: an id that cannot be hashed was a TypeError."""
    project(
        tmp_path,
        {"providers": [{"id": [], "type": "ollama"}], "provider_profiles": [{"name": "studio", "type": "lmstudio"}]},
    )
    with pytest.raises(ConfigError, match="id"):
        service(tmp_path).resolve()
