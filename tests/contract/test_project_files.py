"""Contract of ProjectFiles (plain files in a project folder), and ConfigStore.render."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from chi_llm.adapters.config_files import FileConfigStore
from chi_llm.adapters.project_files import LocalProjectFiles
from chi_llm.domain.errors import ConfigError
from chi_llm.domain.ports import ProjectFiles
from tests.support.fs import read_only

ADAPTERS: dict[str, Callable[[], ProjectFiles]] = {"local": LocalProjectFiles}


@pytest.fixture(params=list(ADAPTERS), ids=list(ADAPTERS))
def files(request: pytest.FixtureRequest) -> ProjectFiles:
    return ADAPTERS[request.param]()


def test_write_creates_the_folder_and_read_gives_the_text_back(files: ProjectFiles, tmp_path: Path) -> None:
    path = tmp_path / "new" / "a.txt"
    assert files.read_text(path) is None
    files.write_text(path, "héllo\n")
    assert files.read_text(path) == "héllo\n" and [p.name for p in path.parent.iterdir()] == ["a.txt"]


def test_back_up_moves_the_file_aside_replacing_an_older_backup(files: ProjectFiles, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("one")
    (tmp_path / "a.txt.bak").write_text("older")
    assert files.back_up(path) == tmp_path / "a.txt.bak"
    assert not path.exists() and (tmp_path / "a.txt.bak").read_text() == "one"


def test_a_failed_write_leaves_the_file_as_it_was(files: ProjectFiles, tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    path = folder / "a.txt"
    path.write_text("kept")
    with read_only(folder), pytest.raises(ConfigError, match="unchanged"):
        files.write_text(path, "new")
    assert path.read_text() == "kept" and [p.name for p in folder.iterdir()] == ["a.txt"]


def test_a_folder_in_the_way_is_a_clear_error(files: ProjectFiles, tmp_path: Path) -> None:
    (tmp_path / "a.txt").mkdir()
    with pytest.raises(ConfigError, match="folder"):
        files.write_text(tmp_path / "a.txt", "x")
    with pytest.raises(ConfigError, match="folder"):
        files.read_text(tmp_path / "a.txt")


@pytest.mark.parametrize("name", [".chi_llm.json", ".chi_llm.yaml"])
def test_config_store_render_reads_back_as_the_values(tmp_path: Path, name: str) -> None:
    store = FileConfigStore(tmp_path, {})
    values = {"model": "m", "provider": {"type": "ollama", "base_url": "http://127.0.0.1:11434"}, "max_tokens": 5}
    path = tmp_path / name
    path.write_text(store.render(path, values))
    assert dict(store.read(path)) == values
