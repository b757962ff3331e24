"""`llm-requirements.txt`: a requirement for chi-llm that installs.

A version is pinned (`chi-llm==X`) only when it is a release installed from the package index.
A development build (`1.2.0.dev3`, a local version `+g1a2b3c`) or one installed from a checkout,
a wheel file or a repository is not on the index under that version, so `==` would fail: the
file then installs it from where it came (a direct reference), and a comment says why.
"""

from __future__ import annotations

import re

from chi_llm.domain.project import InstalledPackage

NAME = "chi-llm"
# A release (final, pre or post) with no .dev part and no local `+label`: PEP 440's public versions.
RELEASE = re.compile(r"^\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?$")


def is_release(version: str) -> bool:
    return RELEASE.match(version.strip().lower()) is not None


def requirement_lines(package: InstalledPackage, extras: tuple[str, ...]) -> list[str]:
    """The comment lines and the requirement line for `package` with `extras`."""
    name = f"{NAME}[{','.join(extras)}]" if extras else NAME
    version = package.version
    if package.origin == "index" and is_release(version):
        return [f"{name}=={version}"]
    if package.origin == "vcs" and package.url:
        scheme = f"{package.vcs or 'git'}+"
        url = package.url if package.url.startswith(scheme) else scheme + package.url
        at = f" at {package.commit}" if package.commit else ""
        return [
            f"# chi-llm {version} was installed from {package.url}{at}, not from the package index:",
            "# this line installs it from there" + (" (that same commit)." if package.commit else "."),
            f"{name} @ {url}" + (f"@{package.commit}" if package.commit else ""),
        ]
    if package.origin in ("checkout", "archive") and package.url:
        where = "the local checkout" if package.origin == "checkout" else "the file"
        return [
            f"# chi-llm {version} here comes from {where} {package.url}, not from a release on the",
            "# package index, so it cannot be pinned with ==: this line installs it from there (on this",
            "# machine). Elsewhere, point it at your copy, e.g. chi-llm @ git+https://HOST/OWNER/chi_llm@COMMIT.",
            f"{name} @ {package.url}",
        ]
    return [
        f"# chi-llm {version} is a development build, not a release on the package index, so it cannot",
        "# be pinned: this line installs the newest release.",
        name,
    ]
