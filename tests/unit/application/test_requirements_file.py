"""llm-requirements.txt pins only what the package index has; otherwise it installs from where
chi-llm came, and says why."""

from __future__ import annotations

import pytest
from packaging.requirements import Requirement

from chi_llm.application.requirements_file import is_release, requirement_lines
from chi_llm.domain.project import InstalledPackage


def requirement(lines: list[str]) -> Requirement:
    """The one requirement line (the others are comments), parsed as pip parses it."""
    (line,) = [line for line in lines if not line.startswith("#")]
    return Requirement(line)


@pytest.mark.parametrize(
    ("version", "release"),
    [
        ("0.1.0", True),
        ("2.1", True),
        ("1.0rc1", True),
        ("1.0.post2", True),
        ("0.2.0.dev3", False),
        ("0.2.0.dev3+g1a2b3c4", False),
        ("0.1.0+local", False),
    ],
)
def test_a_release_is_a_public_version_without_dev(version: str, release: bool) -> None:
    assert is_release(version) is release


def test_a_release_from_the_index_is_pinned() -> None:
    lines = requirement_lines(InstalledPackage(version="1.4.2", origin="index"), ("rag",))
    assert lines == ["chi-llm[rag]==1.4.2"]


@pytest.mark.parametrize("version", ["0.2.0.dev3+g1a2b3c4", "0.2.0.dev3"])
def test_a_development_build_is_not_pinned_and_the_file_says_why(version: str) -> None:
    lines = requirement_lines(InstalledPackage(version=version, origin="index"), ())
    req = requirement(lines)
    assert req.name == "chi-llm" and not req.specifier and req.url is None
    assert any("cannot" in line and line.startswith("#") for line in lines)


def test_a_checkout_or_a_wheel_file_is_installed_from_where_it_is() -> None:
    checkout = InstalledPackage(version="0.1.0", origin="checkout", url="file:///src/chi_llm")
    req = requirement(requirement_lines(checkout, ("rag",)))
    assert (req.name, req.extras, req.url, str(req.specifier)) == ("chi-llm", {"rag"}, "file:///src/chi_llm", "")
    wheel = InstalledPackage(version="0.1.0", origin="archive", url="file:///d/chi_llm-0.1.0-py3-none-any.whl")
    lines = requirement_lines(wheel, ())
    assert requirement(lines).url == wheel.url and "not from a release" in lines[0]


def test_a_repository_install_is_installed_from_that_commit() -> None:
    package = InstalledPackage(
        version="0.1.0", origin="vcs", url="https://example.org/me/chi_llm.git", vcs="git", commit="abc123"
    )
    req = requirement(requirement_lines(package, ()))
    assert req.url == "git+https://example.org/me/chi_llm.git@abc123"
