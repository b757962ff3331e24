"""`config set` refuses what a later command would refuse, with the reader's own words, and writes
nothing then (issue 22): one definition of each key's rule serves the writer and the reader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chi_llm.adapters.providers.registry import schemas
from chi_llm.adapters.template_files import YamlTemplates
from chi_llm.application.cache_folder import cache_dir
from chi_llm.application.provider_router import candidates
from chi_llm.domain.errors import ConfigError
from chi_llm.domain.providers import check_profile
from tests.support.cli import run


def refused(result: object, *fragments: str) -> None:
    stderr = getattr(result, "stderr", "")
    assert getattr(result, "exit_code", None) == 2, stderr
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in stderr, stderr


@pytest.mark.parametrize("value", ["5", "models", '["relative/folder"]', "[5]"])
def test_a_gguf_path_that_is_not_an_absolute_folder_is_refused(isolated: Path, value: str) -> None:
    refused(run("config", "set", "gguf_paths", value), "gguf_paths")
    assert not (isolated / ".chi_llm.json").exists()


def test_the_reader_refuses_the_same_gguf_paths_with_the_same_words(isolated: Path) -> None:
    written = run("config", "set", "gguf_paths", "5")
    (isolated / ".chi_llm.json").write_text(json.dumps({"gguf_paths": ["5"]}))
    read = run("config", "show")
    refused(read, "gguf_paths", "absolute folder path")
    assert written.stderr.split("key 'gguf_paths': ")[1] == read.stderr.split("key 'gguf_paths': ")[1]


def test_absolute_gguf_paths_are_kept(isolated: Path, tmp_path: Path) -> None:
    assert run("config", "set", "gguf_paths", str(tmp_path)).exit_code == 0
    assert json.loads((isolated / ".chi_llm.json").read_text()) == {"gguf_paths": [str(tmp_path)]}


def test_a_default_provider_no_profile_defines_is_refused(isolated: Path) -> None:
    refused(run("config", "set", "default_provider", "ghost"), "default_provider", "'ghost'", "local")
    assert not (isolated / ".chi_llm.json").exists()


def test_the_router_refuses_a_ghost_default_with_the_same_words(isolated: Path) -> None:
    written = run("config", "set", "default_provider", "ghost")
    profile = check_profile({"id": "local", "type": "local"}, schemas(), source="test")
    with pytest.raises(ConfigError) as caught:
        candidates([profile], schemas(), default_id="ghost")
    assert caught.value.detail in written.stderr


def test_a_default_provider_defined_in_another_file_is_accepted(isolated: Path, tmp_path: Path) -> None:
    global_file = tmp_path / "xdg_config" / "chi_llm" / "config.yaml"
    global_file.parent.mkdir(parents=True)
    global_file.write_text("providers:\n  - {id: mine, type: fake}\n  - {id: other, type: fake}\n")
    assert run("config", "set", "default_provider", "mine").exit_code == 0
    assert json.loads((isolated / ".chi_llm.json").read_text()) == {"default_provider": "mine"}
    assert run("config", "set", "default_provider", "nope").exit_code == 2  # not one of these profiles
    assert run("config", "set", "default_provider", "local").exit_code == 0  # the embedded fallback, tried first


def test_the_single_provider_is_a_valid_default(isolated: Path) -> None:
    assert run("config", "set", "default_provider", "local").exit_code == 0


def test_a_templates_dir_that_does_not_exist_is_refused(isolated: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent"
    result = run("config", "set", "templates_dir", str(missing))
    refused(result, "templates_dir", str(missing))
    assert not (isolated / ".chi_llm.json").exists()
    with pytest.raises(ConfigError) as caught:  # the template store says the same
        YamlTemplates(str(missing)).all()
    assert caught.value.detail in result.stderr


def test_an_existing_templates_dir_is_accepted(isolated: Path, tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    assert run("config", "set", "templates_dir", str(folder)).exit_code == 0


def test_a_cache_dir_that_is_a_file_is_refused(isolated: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = run("config", "set", "cache_dir", str(blocker))
    refused(result, "cache_dir", "is a file, not a folder")
    assert not (isolated / ".chi_llm.json").exists()
    with pytest.raises(ConfigError) as caught:  # as the container says when it is used
        cache_dir(str(blocker), {})
    assert caught.value.detail in result.stderr


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("context", "1" + "0" * 5000, "whole number"),
        ("max_tokens", "99999999999999999999", "at most"),
        ("seed", "1" * 40, "at most"),
        ("system", "x" * 300_000, "characters"),
        ("model", "m" * 5000, "characters"),
    ],
    ids=["5000-digits", "huge-max-tokens", "huge-seed", "huge-system", "huge-model"],
)
def test_values_beyond_the_limits_are_refused(isolated: Path, key: str, value: str, fragment: str) -> None:
    result = run("config", "set", key, value)
    refused(result, key, fragment)
    assert "set_int_max_str_digits" not in result.stderr
    assert not (isolated / ".chi_llm.json").exists()


def test_every_writer_is_held_to_the_rules_not_only_config_set(isolated: Path, tmp_path: Path) -> None:
    """The bridge's config/write and the services write through ConfigService.update."""
    from chi_llm.entrypoints.wiring import configuration

    service = configuration()
    with pytest.raises(ConfigError, match="not an existing folder"):
        service.update(lambda values: values.update(templates_dir=str(tmp_path / "missing")))
    with pytest.raises(ConfigError, match="not a configured provider profile"):
        service.update(lambda values: values.update(default_provider="ghost"))
    assert not (isolated / ".chi_llm.json").exists()
    service.update(lambda values: values.update(providers=[{"id": "mine", "type": "fake"}], default_provider="mine"))
    stored = json.loads((isolated / ".chi_llm.json").read_text())
    (isolated / ".chi_llm.json").write_text(json.dumps({**stored, "templates_dir": str(tmp_path / "gone")}))
    service.update(lambda values: values.update(max_tokens=5))  # a key the change did not set is not re-checked
    assert json.loads((isolated / ".chi_llm.json").read_text())["max_tokens"] == 5
