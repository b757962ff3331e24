"""Where the running chi-llm was installed from: its version, and the install's direct URL
(PEP 610's direct_url.json) or the source checkout it runs from."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

from chi_llm._version import __version__
from chi_llm.domain.project import InstalledPackage

DISTRIBUTION = "chi-llm"
PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder holding the chi_llm package


def installed_package(root: Path = PACKAGE_ROOT) -> InstalledPackage:
    """The code that runs decides first: chi_llm imported from a source checkout (an editable
    install, or PYTHONPATH) is that checkout, whatever was installed; otherwise the installed
    distribution's direct URL says (none: it came from a package index)."""
    if _is_checkout(root):
        return InstalledPackage(version=__version__, origin="checkout", url=root.as_uri())
    try:
        distribution = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return InstalledPackage(version=__version__, origin="unknown")
    try:
        direct = json.loads(distribution.read_text("direct_url.json") or "null")
    except ValueError:
        direct = None
    if not isinstance(direct, dict) or not isinstance(direct.get("url"), str):
        return InstalledPackage(version=__version__, origin="index")
    url = direct["url"]
    vcs = direct.get("vcs_info")
    if isinstance(vcs, dict):
        commit = vcs.get("commit_id")
        return InstalledPackage(
            version=__version__,
            origin="vcs",
            url=url,
            vcs=str(vcs.get("vcs") or "git"),
            commit=commit if isinstance(commit, str) else None,
        )
    if isinstance(direct.get("dir_info"), dict):
        return InstalledPackage(version=__version__, origin="checkout", url=url)
    return InstalledPackage(version=__version__, origin="archive", url=url)


def _is_checkout(root: Path) -> bool:
    """`root` is chi-llm's source tree (its pyproject.toml names the distribution)."""
    try:
        text = (root / "pyproject.toml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return f'name = "{DISTRIBUTION}"' in text
