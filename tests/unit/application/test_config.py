"""Configuration: precedence, provenance, validation errors and merged atomic writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chi_llm.domain.errors import ConfigError
from tests.support.config import service, write


def test_defaults_without_any_configuration(tmp_path: Path) -> None:
    settings = service(tmp_path).resolve()
    assert settings["model"] == "smollm2-135m"
    assert settings["context"] == 4096
    assert settings["parallel"] is None  # auto: DEFAULT_PARALLEL when memory allows
    assert {s.source for s in settings.explain()} == {"default"}


LAYERS = ["global", "project", "config_env", "env", "config_path", "argument"]


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    present=st.lists(st.sampled_from(LAYERS), unique=True, min_size=1),
    values=st.lists(st.integers(min_value=16, max_value=100_000), min_size=6, max_size=6),
)
def test_highest_source_always_wins(
    tmp_path_factory: pytest.TempPathFactory, present: list[str], values: list[int]
) -> None:
    tmp = tmp_path_factory.mktemp("layers")
    work = tmp / "project" / "sub"
    work.mkdir(parents=True)
    env: dict[str, str] = {}
    explicit: dict[str, object] = {}
    config_path = None
    chosen = dict(zip(LAYERS, values, strict=True))
    if "global" in present:
        write(tmp / "xdg" / "chi_llm" / "config.yaml", {"context": chosen["global"]})
    if "project" in present:  # in a parent folder: found by walking up
        write(tmp / "project" / ".chi_llm.yaml", {"context": chosen["project"]})
    if "config_env" in present:
        env["CHI_LLM_CONFIG"] = json.dumps({"context": chosen["config_env"]})
    if "env" in present:
        env["CHI_LLM_CONTEXT"] = str(chosen["env"])
    if "config_path" in present:
        config_path = write(tmp / "explicit.json", {"context": chosen["config_path"]})
    if "argument" in present:
        explicit["context"] = chosen["argument"]
    resolved = service(tmp, env, cwd=work).resolve(explicit, config_path)
    winner = max(present, key=LAYERS.index)
    assert resolved["context"] == chosen[winner]


def test_explain_names_each_source(tmp_path: Path) -> None:
    project = write(tmp_path / ".chi_llm.json", {"max_tokens": 64, "temperature": 0.2})
    glob = write(tmp_path / "xdg" / "chi_llm" / "config.yaml", {"max_tokens": 32, "top_p": 0.5})
    settings = service(tmp_path, {"CHI_LLM_TEMPERATURE": "0.9"}).resolve({"seed": 3})
    sources = {s.key: s.source for s in settings.explain()}
    assert sources["max_tokens"] == f"project file {project}"
    assert sources["top_p"] == f"global file {glob}"
    assert sources["temperature"] == "env CHI_LLM_TEMPERATURE"
    assert sources["seed"] == "argument"
    assert settings["temperature"] == 0.9 and settings["max_tokens"] == 64


def test_every_documented_env_var_takes_effect(tmp_path: Path) -> None:
    env = {
        "CHI_LLM_MODEL": "other-model",
        "CHI_LLM_CONTEXT": "2048",
        "CHI_LLM_MAX_TOKENS": "77",
        "CHI_LLM_TEMPERATURE": "0.1",
        "CHI_LLM_TOP_P": "0.8",
        "CHI_LLM_PARALLEL": "2",
        "CHI_LLM_HOME": "/tmp/somewhere",
        "CHI_LLM_PROVIDER_TYPE": "fake",
        "CHI_LLM_PROVIDER_TOKEN_DELAY": "0.5",
    }
    s = service(tmp_path, env).resolve()
    assert (s["model"], s["context"], s["max_tokens"], s["temperature"], s["top_p"], s["cache_dir"]) == (
        "other-model",
        2048,
        77,
        0.1,
        0.8,
        "/tmp/somewhere",
    )
    assert s["parallel"] == 2 and s.source("parallel") == "env CHI_LLM_PARALLEL"
    assert s["provider"].single() == {"type": "fake", "token_delay": 0.5}  # env text read as the field's type


def test_config_env_accepts_a_path(tmp_path: Path) -> None:
    path = write(tmp_path / "conf.yaml", {"max_tokens": 9})
    assert service(tmp_path, {"CHI_LLM_CONFIG": str(path)}).resolve()["max_tokens"] == 9


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        (".chi_llm.json", "{not json", "invalid JSON at line 1"),
        (".chi_llm.yaml", "model: [unclosed", "invalid YAML"),
        (".chi_llm.json", '{"colour": "blue"}', "key 'colour': unknown key"),
        (".chi_llm.json", '{"context": "big"}', "key 'context': must be a whole number"),
        (".chi_llm.json", '{"context": -5}', "key 'context': must be at least"),
        (".chi_llm.yaml", "temperature: 9", "key 'temperature'"),
        (".chi_llm.json", '{"parallel": 0}', "key 'parallel': must be at least 1"),
        (".chi_llm.json", '{"parallel": 257}', "key 'parallel': must be at most 256"),
        (".chi_llm.yaml", "parallel: auto", "key 'parallel': must be a whole number"),
        (".chi_llm.json", '{"model": "no-such-model"}', "unknown model id 'no-such-model'"),
        (".chi_llm.json", "[1, 2]", "top level must be a mapping"),
        (".chi_llm.json", '{"provider": {"type": "warp"}}', "key 'provider': type must be one of"),
    ],
)
def test_bad_configuration_names_file_and_key(tmp_path: Path, name: str, content: str, fragment: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ConfigError) as error:
        service(tmp_path).resolve()
    assert str(path) in str(error.value)
    assert fragment in str(error.value)


def test_bad_inline_config_env(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="CHI_LLM_CONFIG"):
        service(tmp_path, {"CHI_LLM_CONFIG": "{oops"}).resolve()
    with pytest.raises(ConfigError, match="no such file"):
        service(tmp_path, {"CHI_LLM_CONFIG": str(tmp_path / "missing.json")}).resolve()


def test_model_path_is_accepted_without_catalog_check(tmp_path: Path) -> None:
    assert service(tmp_path).resolve({"model": "./models/x.gguf"})["model"] == "./models/x.gguf"


def test_set_value_merges_into_existing_file(tmp_path: Path) -> None:
    path = write(tmp_path / ".chi_llm.yaml", {"temperature": 0.3, "system": "Be terse."})
    target = service(tmp_path).set_value("max_tokens", "128")
    assert target == path
    assert yaml.safe_load(path.read_text()) == {"temperature": 0.3, "system": "Be terse.", "max_tokens": 128}
    service(tmp_path).set_value("provider.type", "fake")
    service(tmp_path).set_value("provider.token_delay", "0.25")
    assert yaml.safe_load(path.read_text())["provider"] == {"type": "fake", "token_delay": 0.25}
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [".chi_llm.yaml"]  # no temp files left


def test_set_value_creates_project_json_and_global_yaml(tmp_path: Path) -> None:
    created = service(tmp_path).set_value("model", "other-model")
    assert created == tmp_path / ".chi_llm.json"
    assert json.loads(created.read_text()) == {"model": "other-model"}
    glob = service(tmp_path).set_value("context", "1024", scope="global")
    assert glob == tmp_path / "xdg" / "chi_llm" / "config.yaml"
    assert service(tmp_path).resolve()["context"] == 1024


def test_invalid_write_changes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path / ".chi_llm.json", {"temperature": 0.3})
    before = path.read_bytes()
    for key, value in [("context", "-1"), ("model", "nope"), ("colour", "red"), ("temperature", "hot")]:
        with pytest.raises(ConfigError):
            service(tmp_path).set_value(key, value)
    assert path.read_bytes() == before


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    key=st.sampled_from(["context", "max_tokens", "temperature", "top_p", "system", "seed", "parallel"]),
    data=st.data(),
)
def test_write_then_read_round_trips(tmp_path_factory: pytest.TempPathFactory, key: str, data: st.DataObject) -> None:
    tmp = tmp_path_factory.mktemp("roundtrip")
    value = {
        "context": st.integers(16, 1 << 20),
        "max_tokens": st.integers(1, 100_000),
        "seed": st.integers(0, 2**31),
        "parallel": st.integers(1, 256),
        "temperature": st.floats(0, 2, allow_nan=False),
        "top_p": st.floats(0.01, 1, allow_nan=False),
        "system": st.text(min_size=1).filter(str.strip),
    }[key]
    chosen = data.draw(value)
    suffix = data.draw(st.sampled_from([".chi_llm.json", ".chi_llm.yaml"]))
    (tmp / suffix).write_text("")
    service(tmp).set_value(key, chosen if isinstance(chosen, str) else json.dumps(chosen))
    assert service(tmp).resolve()[key] == chosen


def test_the_embedded_model_stays_the_last_resort_beside_configured_providers(tmp_path: Path) -> None:
    """Zero-config first: adding a provider does not take the embedded model away; only
    `fallback_to_local: false` (or a local profile of the user's own) does."""
    alone = service(tmp_path).resolve().profiles()  # nothing configured: the embedded model, in no file
    assert [(p.id, p.type, p.fallback) for p in alone] == [("local", "local", True)]
    write(tmp_path / ".chi_llm.json", {"fallback_to_local": False})  # the only way to generate: kept
    assert [p.id for p in service(tmp_path).resolve().profiles()] == ["local"]
    home = {"id": "home", "type": "ollama", "priority": 500, "settings": {"base_url": "http://127.0.0.1:9"}}
    write(tmp_path / ".chi_llm.json", {"providers": [home]})
    assert [(p.id, p.type, p.fallback) for p in service(tmp_path).resolve().profiles()] == [
        ("home", "ollama", False),
        ("local", "local", True),
    ]
    write(tmp_path / ".chi_llm.json", {"provider": {"type": "ollama"}})  # the single-provider shape too
    assert [p.id for p in service(tmp_path).resolve().profiles()] == ["ollama", "local"]
    write(tmp_path / ".chi_llm.json", {"providers": [home], "fallback_to_local": False})
    assert [p.id for p in service(tmp_path).resolve().profiles()] == ["home"]
    assert [p.id for p in service(tmp_path, {"CHI_LLM_FALLBACK_TO_LOCAL": "yes"}).resolve().profiles()] == [
        "home",
        "local",
    ]
    own = {"id": "local", "type": "local", "priority": 1, "settings": {"model": "other-model"}}
    write(tmp_path / ".chi_llm.json", {"providers": [home, own]})
    assert [(p.id, p.fallback) for p in service(tmp_path).resolve().profiles()] == [("home", False), ("local", False)]
    write(tmp_path / ".chi_llm.json", {"providers": [home, {**own, "id": "mine"}]})  # llama.cpp configured already
    assert [p.id for p in service(tmp_path).resolve().profiles()] == ["home", "mine"]
    write(tmp_path / ".chi_llm.json", {"providers": [home], "default_provider": "local"})  # it can be chosen first
    assert service(tmp_path).resolve()["default_provider"] == "local"
