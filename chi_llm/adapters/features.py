"""Optional features as installed on this machine: found by package metadata and PATH, never imported."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path

from chi_llm.domain.diagnostics import Feature
from chi_llm.domain.ports import FeatureProbe

RAG_PACKAGES = ("lancedb", "fastembed")
TUI_PROGRAM = "chi-tui"


def package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def program_path(name: str) -> str | None:
    """On PATH, or beside this interpreter (a virtualenv's bin folder that is not on PATH)."""
    found = shutil.which(name)
    if found:
        return found
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.is_file() else None


class InstalledFeatures(FeatureProbe):
    def __init__(
        self,
        version: Callable[[str], str | None] = package_version,
        program: Callable[[str], str | None] = program_path,
        rag_packages: Sequence[str] = RAG_PACKAGES,
    ) -> None:
        self._version = version
        self._program = program
        self._rag = tuple(rag_packages)

    def features(self) -> list[Feature]:
        rag = {name: self._version(name) for name in self._rag}
        tui = self._program(TUI_PROGRAM)
        mcp = self._version("mcp")
        return [
            Feature(
                name="rag",
                installed=all(rag.values()),
                found=rag,
                install="pip install 'chi-llm[rag]'",
            ),
            Feature(
                name="tui",
                installed=tui is not None,
                found={TUI_PROGRAM: tui},
                install="pip install ./tui/chi-tui (from a chi-llm checkout; needs cargo), then `chi-llm ui`",
            ),
            Feature(
                name="mcp",
                installed=mcp is not None,
                found={"mcp": mcp},
                install="pip install 'chi-llm[mcp]' (MCP servers as tools: mcp_tools, chat --mcp)",
            ),
        ]
