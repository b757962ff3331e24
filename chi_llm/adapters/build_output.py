"""Build output and caches a folder walk leaves alone without listing them one by one: what
compilers, package managers and tools write (`__pycache__`, `node_modules`, `target`, `dist`,
`build`, virtual environments, tool caches) and compiled files (`.pyc`, `.o`, `.so`, ...)."""

from __future__ import annotations

from pathlib import Path

FOLDERS = frozenset(
    {
        "__pycache__",
        "__pypackages__",
        "node_modules",
        "bower_components",
        "target",
        "dist",
        "build",
        "_build",
        "site-packages",
        ".venv",
        ".tox",
        ".nox",
        ".eggs",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".hypothesis",
        ".gradle",
        ".next",
        ".nuxt",
        ".svelte-kit",
        ".parcel-cache",
        ".terraform",
    }
)
# A virtual environment (pyvenv.cfg) or a folder tagged as a cache (the Cache Directory Tagging
# convention, followed by cargo, pytest and others) is build output whatever its name.
MARKERS = ("pyvenv.cfg", "CACHEDIR.TAG")
SUFFIXES = frozenset(
    {".pyc", ".pyo", ".pyd", ".o", ".obj", ".a", ".lib", ".so", ".dll", ".dylib", ".exe", ".class", ".wasm"}
)


def is_build_folder(folder: Path) -> bool:
    return folder.name in FOLDERS or folder.name.endswith(".egg-info") or any((folder / m).is_file() for m in MARKERS)


def is_build_file(name: str) -> bool:
    dot = name.rfind(".")
    return dot > 0 and name[dot:].lower() in SUFFIXES
