"""Where the running chi-llm came from: a checkout, or the install's PEP 610 direct URL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import chi_llm
from chi_llm.adapters.package_origin import installed_package


def test_running_from_this_source_tree_is_a_checkout() -> None:
    root = Path(chi_llm.__file__).resolve().parents[1]
    package = installed_package()
    assert (package.origin, package.url, package.version) == ("checkout", root.as_uri(), chi_llm.__version__)


@pytest.mark.parametrize(
    ("direct", "origin", "url", "commit"),
    [
        (None, "index", None, None),
        ({"url": "file:///src/chi_llm", "dir_info": {"editable": True}}, "checkout", "file:///src/chi_llm", None),
        (
            {"url": "file:///d/chi_llm-0.1.0-py3-none-any.whl", "archive_info": {}},
            "archive",
            "file:///d/chi_llm-0.1.0-py3-none-any.whl",
            None,
        ),
        (
            {"url": "https://example.org/chi_llm.git", "vcs_info": {"vcs": "git", "commit_id": "abc123"}},
            "vcs",
            "https://example.org/chi_llm.git",
            "abc123",
        ),
    ],
)
def test_an_installed_distribution_says_where_it_came_from(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    direct: dict[str, object] | None,
    origin: str,
    url: str | None,
    commit: str | None,
) -> None:
    info = tmp_path / "site" / "chi_llm-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: chi-llm\nVersion: 0.1.0\n")
    if direct is not None:
        (info / "direct_url.json").write_text(json.dumps(direct))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    package = installed_package(root=tmp_path / "not-a-checkout")
    assert (package.origin, package.url, package.commit) == (origin, url, commit)
