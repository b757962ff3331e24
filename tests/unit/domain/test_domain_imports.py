"""The domain imports the standard library and itself, nothing else (an allow-list, not a deny-list)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import chi_llm.domain

DOMAIN = Path(chi_llm.domain.__file__).parent


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_the_domain_imports_only_the_standard_library_and_itself() -> None:
    modules = sorted(DOMAIN.glob("*.py"))
    assert len(modules) >= 8
    for module in modules:
        for name in imported(module):
            top = name.split(".")[0]
            allowed = top in sys.stdlib_module_names or top == "__future__" or name.startswith("chi_llm.domain")
            assert allowed, f"{module.name} imports {name}"
