"""Whatever a configuration file, the environment or `config set` holds: Settings or one
ConfigError — never another exception, and a refused `config set` never changes the file."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chi_llm.adapters.config_files import FileConfigStore
from chi_llm.adapters.providers.registry import schemas
from chi_llm.application.config import ConfigService
from chi_llm.domain.errors import ChiLlmError
from chi_llm.domain.setting_rules import check_default_provider
from chi_llm.domain.settings import KEYS, check_on_disk

FIELDS = ["type", "id", "api_key", "model", "settings", "tags", "base_url"]
scalars = st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.floats() | st.text(max_size=12)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["type", "id", "api_key", "model", "settings", "tags", "base_url"]), inner, max_size=4
        )
    ),
    max_leaves=10,
)
keys = st.sampled_from(
    [*KEYS, "colour", "provider_profiles", "default_model", "preferred_context", "downloaded_models"]
)


def service(folder: Path, env: dict[str, str] | None = None) -> ConfigService:
    environment = {"XDG_CONFIG_HOME": str(folder / "xdg"), **(env or {})}
    return ConfigService(
        FileConfigStore(folder, environment), environment, schemas=schemas(), known_models=lambda _: ["m"]
    )


fuzz = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@fuzz
@given(content=st.dictionaries(keys, values, max_size=4))
@example(content={"provider_profiles": [{"id": [None]}]})  # found by this test: unhashable ids
@example(content={"provider_profiles": [{"type": []}]})
def test_any_project_file_resolves_or_is_a_config_error(tmp_path: Path, content: dict[str, Any]) -> None:
    try:
        text = json.dumps(content)
    except ValueError:
        return
    (tmp_path / ".chi_llm.json").write_text(text)
    with contextlib.suppress(ChiLlmError):
        service(tmp_path).resolve(check_model=False)


@fuzz
@given(
    variable=st.sampled_from(
        [
            "CHI_LLM_CONTEXT",
            "CHI_LLM_TEMPERATURE",
            "CHI_LLM_CONFIG",
            "CHI_LLM_PROVIDER_TYPE",
            "CHI_LLM_PROVIDER_READ_TIMEOUT",
            "CHI_LLM_MAX_TOKENS",
            "CHI_LLM_PARALLEL",
            "CHI_LLM_HOME",
        ]
    ),
    value=st.text(max_size=20),
)
@example(variable="CHI_LLM_CONFIG", value="~0")  # found by this test: a home of a user who does not exist
@example(variable="CHI_LLM_HOME", value="~0")
def test_any_environment_value_resolves_or_is_a_config_error(tmp_path: Path, variable: str, value: str) -> None:
    with contextlib.suppress(ChiLlmError):
        service(tmp_path, {variable: value}).resolve(check_model=False)


@fuzz
@given(key=keys, raw=st.text(max_size=30))
def test_a_refused_config_set_leaves_the_file_alone(tmp_path: Path, key: str, raw: str) -> None:
    project = tmp_path / ".chi_llm.json"
    project.write_text('{"seed": 3}\n')
    try:
        service(tmp_path).set_value(key, raw)
    except ChiLlmError:
        assert project.read_text() == '{"seed": 3}\n'


raw_values = st.text(max_size=30) | st.sampled_from(
    [
        "5", "-1", "0", "1e999", "nan", "true", "null", "[]", "{}", '["/a"]', '["rel"]', "/nonexistent", "/dev/null",
        "/tmp", "~", "ghost", "local", "fake", '{"type": "fake"}', '[{"id": "a", "type": "fake"}]', "1" + "0" * 5000,
        "[" * 900 + "]" * 900, '{"a": ' * 40 + "1" + "}" * 40,
    ]
)  # fmt: skip


@fuzz
@given(key=st.sampled_from(list(KEYS)), raw=raw_values)
@example(key="gguf_paths", raw="5")  # issue 22: accepted, then refused by every later command
@example(key="default_provider", raw="ghost")
@example(key="templates_dir", raw="/nonexistent")
def test_what_config_set_accepts_every_later_read_accepts(tmp_path: Path, key: str, raw: str) -> None:
    config = service(tmp_path)
    try:
        config.set_value(key, raw)
    except ChiLlmError:
        return
    settings = config.resolve(check_model=False)  # a ConfigError here fails: set wrote what reads refuse
    check_on_disk(key, settings[key])  # as the template store and the cache check it
    check_default_provider(settings["default_provider"], settings.profiles())  # as the router does


@fuzz
@given(
    text=st.sampled_from(["[" * 60_000, "{" + '"a": {' * 20_000, '{"context": 1' + "0" * 5000 + "}", '{"a": 1e999}'])
    | st.recursive(st.sampled_from(["1", "[]", "{}", '"x"', "1" + "0" * 4400]), lambda t: t.map(lambda x: f"[{x}]"))
    | st.text(max_size=40)
)
def test_any_inline_config_env_resolves_or_is_a_config_error(tmp_path: Path, text: str) -> None:
    with contextlib.suppress(ChiLlmError):
        service(tmp_path, {"CHI_LLM_CONFIG": text}).resolve(check_model=False)
