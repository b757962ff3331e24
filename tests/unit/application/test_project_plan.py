"""The New-project preview is the plan the write carries out: one plan object, every change it
makes shown (a configuration file moved aside included), and a write refused when the folder or
the answers changed since the preview."""

from __future__ import annotations

from pathlib import Path

import pytest

import chi_llm
from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.project import ProjectPlan
from tests.support.cli import run


def on_disk(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir()) if p.is_file()}


def done(plan: ProjectPlan) -> list[tuple[str, str]]:
    return [(f.path.name, f.action) for f in plan.files]


@pytest.fixture
def yaml_project(tmp_path: Path) -> Path:
    """A folder configured by .chi_llm.yaml, with its own .env.sample."""
    (tmp_path / ".chi_llm.yaml").write_text("max_tokens: 9\n")
    (tmp_path / ".env.sample").write_text("MINE=1\n")
    return tmp_path


def test_moving_a_configuration_file_aside_is_in_the_preview(yaml_project: Path) -> None:
    shown = chi_llm.bootstrap(yaml_project, force=True, dry_run=True)
    moved = next(f for f in shown.files if f.action == "move")
    assert moved.path == yaml_project / ".chi_llm.yaml" and moved.backup == yaml_project / ".chi_llm.yaml.bak"
    assert shown.moved_aside == (yaml_project / ".chi_llm.yaml",)
    written = chi_llm.bootstrap(yaml_project, force=True)
    assert done(written) == done(shown) and [f.content for f in written.files] == [f.content for f in shown.files]
    assert written.digest == shown.digest
    assert (yaml_project / ".chi_llm.yaml.bak").read_text() == "max_tokens: 9\n"
    assert not (yaml_project / ".chi_llm.yaml").exists() and (yaml_project / ".chi_llm.json").exists()


def test_a_write_is_refused_when_it_would_differ_from_the_preview(yaml_project: Path) -> None:
    shown = chi_llm.bootstrap(yaml_project, dry_run=True)  # the wizard's first preview: no force
    assert (".chi_llm.json", "skip") in done(shown) and not any(f.action == "move" for f in shown.files)
    before = on_disk(yaml_project)
    with pytest.raises(InvalidRequest, match="preview again"):
        chi_llm.bootstrap(yaml_project, force=True, expect=shown.digest)  # what the old wizard did on 'y'
    assert on_disk(yaml_project) == before  # nothing moved aside, nothing created
    forced = chi_llm.bootstrap(yaml_project, force=True, dry_run=True)
    (yaml_project / ".env.sample").write_text("CHANGED=1\n")  # the folder changes after the preview
    with pytest.raises(InvalidRequest, match="changed since the preview"):
        chi_llm.bootstrap(yaml_project, force=True, expect=forced.digest)
    assert (yaml_project / ".chi_llm.yaml").exists() and not (yaml_project / ".chi_llm.json").exists()
    again = chi_llm.bootstrap(yaml_project, force=True, dry_run=True)
    written = chi_llm.bootstrap(yaml_project, force=True, expect=again.digest)
    assert written.written and done(written) == done(again)


def test_the_cli_preview_shows_the_move(yaml_project: Path) -> None:
    shown = run("bootstrap", str(yaml_project), "--force", "--dry-run")
    assert shown.exit_code == 0
    assert f"would move aside {yaml_project / '.chi_llm.yaml'} (to .chi_llm.yaml.bak)" in shown.stdout
    written = run("bootstrap", str(yaml_project), "--force")
    assert f"moved aside {yaml_project / '.chi_llm.yaml'} (to .chi_llm.yaml.bak)" in written.stdout
