"""Project bootstrap (`chi_llm.bootstrap`, `chi-llm bootstrap`) on real folders, in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import chi_llm
from chi_llm.domain.errors import ConfigError, InvalidRequest
from tests.support.cli import run


def contents(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


def test_a_local_project_gets_the_three_files(tmp_path: Path) -> None:
    plan = chi_llm.bootstrap(tmp_path / "app")
    assert plan.written and [f.action for f in plan.files] == ["create"] * 3
    folder = tmp_path / "app"
    assert json.loads((folder / ".chi_llm.json").read_text()) == {"model": "smollm2-135m"}
    assert (folder / "llm-requirements.txt").read_text().splitlines()[-1].startswith("chi-llm @ file://")
    sample = (folder / ".env.sample").read_text()
    assert "CHI_LLM_MODEL=\n" in sample and "CHI_LLM_CONTEXT=\n" in sample
    assert all(line.endswith("=") for line in sample.splitlines() if line and not line.startswith("#"))


def test_the_written_configuration_is_what_config_show_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run("bootstrap", str(tmp_path / "p"), "--provider", "ollama", "--yaml", "--model", "llama3.2")
    assert result.exit_code == 0 and "created" in result.stdout
    monkeypatch.chdir(tmp_path / "p")
    shown = json.loads(run("config", "show", "--explain", "--json").stdout)
    provider = shown["provider"]
    assert provider["value"] == {"type": "ollama", "base_url": "http://127.0.0.1:11434", "model": "llama3.2"}
    assert provider["source"] == f"project file {tmp_path / 'p' / '.chi_llm.yaml'}"


def test_a_second_run_changes_nothing_and_says_why(tmp_path: Path) -> None:
    chi_llm.bootstrap(tmp_path, provider="ollama", yaml=True)
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    again = run("bootstrap", str(tmp_path), "--provider", "ollama", "--yaml")
    assert again.exit_code == 0 and "nothing changed" in again.stdout and again.stdout.count("unchanged") == 3
    other = run("bootstrap", str(tmp_path), "--provider", "lmstudio", "--yaml")
    assert other.exit_code == 0 and "--force" in other.stdout and "kept" in other.stdout
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before


def test_force_overwrites_and_keeps_a_backup(tmp_path: Path) -> None:
    (tmp_path / ".env.sample").write_text("MY_OWN=1\n")
    plan = chi_llm.bootstrap(tmp_path, force=True)
    sample = next(f for f in plan.files if f.path.name == ".env.sample")
    assert sample.action == "overwrite" and sample.backup == tmp_path / ".env.sample.bak"
    assert (tmp_path / ".env.sample.bak").read_text() == "MY_OWN=1\n" and "CHI_LLM_MODEL=" in sample.content


def test_a_dry_run_writes_nothing_and_shows_what_would_be_written(tmp_path: Path) -> None:
    plan = chi_llm.bootstrap(tmp_path / "new", provider="openai", model="gpt-4o-mini", dry_run=True)
    assert not plan.written and not (tmp_path / "new").exists()
    done = chi_llm.bootstrap(tmp_path / "new", provider="openai", model="gpt-4o-mini")
    assert [f.content for f in plan.files] == [f.content for f in done.files]
    shown = run("bootstrap", str(tmp_path / "other"), "--dry-run")
    assert shown.exit_code == 0 and "would create" in shown.stdout and '"model": "smollm2-135m"' in shown.stdout
    assert not (tmp_path / "other").exists()


def test_another_config_file_in_the_folder_is_never_silently_shadowed(tmp_path: Path) -> None:
    (tmp_path / ".chi_llm.json").write_text('{"max_tokens": 9}')
    plan = chi_llm.bootstrap(tmp_path, yaml=True)
    assert plan.files[0].action == "skip" and ".chi_llm.json" in (plan.files[0].reason or "")
    assert not (tmp_path / ".chi_llm.yaml").exists()
    forced = chi_llm.bootstrap(tmp_path, yaml=True, force=True)
    assert forced.moved_aside == (tmp_path / ".chi_llm.json",)
    assert (tmp_path / ".chi_llm.json.bak").read_text() == '{"max_tokens": 9}' and not (
        tmp_path / ".chi_llm.json"
    ).exists()


def test_keys_are_never_written_only_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-live-secret")
    chi_llm.bootstrap(tmp_path / "app", provider="openai", model="gpt-4o-mini")
    files = contents(tmp_path / "app")
    assert "OPENAI_API_KEY=\n" in files[".env.sample"] and "CHI_LLM_OPENAI_API_KEY=\n" in files[".env.sample"]
    assert not any("sk-live-secret" in text for text in files.values())
    assert "api_key" not in json.loads(files[".chi_llm.json"])["provider"]


def test_the_requirements_file_installs_the_chi_llm_that_wrote_it(tmp_path: Path) -> None:
    """Run from a source checkout (as the tests are), chi-llm's version is not a release on the
    package index: `chi-llm==0.1.0` could not be installed. The file points at the checkout."""
    chi_llm.bootstrap(tmp_path, extras="rag")
    lines = (tmp_path / "llm-requirements.txt").read_text().splitlines()
    requirement = Requirement(next(line for line in lines if not line.startswith("#")))
    root = Path(chi_llm.__file__).resolve().parents[1]
    assert (requirement.name, requirement.extras, requirement.url) == ("chi-llm", {"rag"}, root.as_uri())
    assert 'name = "chi-llm"' in (root / "pyproject.toml").read_text() and not requirement.specifier
    assert any(line.startswith("#") and "cannot be pinned" in line for line in lines)


@pytest.mark.parametrize(
    ("kwargs", "error", "code"),
    [
        ({"provider": "anthropic"}, InvalidRequest, 2),  # needs a model
        ({"provider": "groq-ish"}, InvalidRequest, 2),
        ({"model": "no-such-model"}, ConfigError, 2),
        ({"extras": "everything"}, InvalidRequest, 2),
    ],
)
def test_bad_requests_write_nothing(tmp_path: Path, kwargs: dict[str, str], error: type[Exception], code: int) -> None:
    with pytest.raises(error):
        chi_llm.bootstrap(tmp_path / "x", **kwargs)  # type: ignore[arg-type]
    assert not (tmp_path / "x").exists()
    if "provider" in kwargs and kwargs["provider"] == "anthropic":
        result = run("bootstrap", str(tmp_path / "x"), "--provider", "anthropic")
        assert result.exit_code == code and "--model-id" in result.stderr


def test_a_server_address_goes_into_the_project(tmp_path: Path) -> None:
    plan = chi_llm.bootstrap(tmp_path, provider="ollama", model="llama3.2", base_url="http://10.0.0.5:11434")
    saved = json.loads((tmp_path / ".chi_llm.json").read_text())
    assert plan.written and saved["provider"] == {
        "type": "ollama",
        "base_url": "http://10.0.0.5:11434",
        "model": "llama3.2",
    }
    cli = run("bootstrap", str(tmp_path / "b"), "--provider", "lmstudio", "--base-url", "http://box:1234/v1", "--json")
    assert cli.exit_code == 0, cli.stderr
    assert json.loads((tmp_path / "b" / ".chi_llm.json").read_text())["provider"]["base_url"] == "http://box:1234/v1"


def test_a_server_address_for_the_local_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequest, match="base_url"):
        chi_llm.bootstrap(tmp_path / "p", provider="local", base_url="http://x:1")
    assert not (tmp_path / "p").exists()
