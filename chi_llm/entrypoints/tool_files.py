"""Tools from a Python file named on the command line or in a request: `PATH.py:name[,name...]`
(those functions) or `PATH.py` (every public function the file defines). The file is the user's
own code, imported as a module of its own; what goes wrong says which file and what to do."""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from chi_llm.application.tools.function_tool import FunctionTool, tool
from chi_llm.domain.errors import InvalidRequest

_NAMES = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(,[A-Za-z_][A-Za-z0-9_]*)*")
_FORM = "name tools as FILE.py:function (several: FILE.py:one,two; all public functions: FILE.py)"


def split_spec(spec: str) -> tuple[Path, list[str]]:
    """The file and the function names of a spec (no names: all of the file's public functions)."""
    text = spec.strip()
    head, sep, tail = text.rpartition(":")
    if sep and _NAMES.fullmatch(tail) and head:
        path, names = head, tail.split(",")
    else:
        path, names = text, []
    if not path.endswith(".py"):
        raise InvalidRequest(f"tool source {spec!r} is not a Python file: {_FORM}")
    return Path(path).expanduser(), names


def _import(path: Path) -> ModuleType:
    if not path.is_file():
        raise InvalidRequest(f"tool file {str(path)!r} does not exist (or is not a file): check the path; {_FORM}")
    resolved = path.resolve()
    name = "chi_llm_tools_" + hashlib.sha256(str(resolved).encode()).hexdigest()[:16]
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    found = importlib.util.spec_from_file_location(name, resolved)
    if found is None or found.loader is None:
        raise InvalidRequest(f"tool file {str(path)!r} cannot be imported as Python: {_FORM}")
    module = importlib.util.module_from_spec(found)
    sys.modules[name] = module  # dataclasses and typing look the module up while it runs
    try:
        found.loader.exec_module(module)
    except (Exception, SystemExit) as error:
        sys.modules.pop(name, None)
        raise InvalidRequest(
            f"importing tool file {str(path)!r} failed: {type(error).__name__}: {error}; fix the file and try again"
        ) from error
    return module


def _public_functions(module: ModuleType) -> list[Any]:
    return [
        value
        for key, value in vars(module).items()
        if not key.startswith("_") and inspect.isfunction(value) and value.__module__ == module.__name__
    ]


def load_tools(spec: str) -> list[FunctionTool]:
    """The tools a spec names, each with its schema derived from the function (InvalidRequest
    naming the file and function when the file is missing or broken, a name is not a function
    there, or a schema cannot be derived)."""
    path, names = split_spec(spec)
    module = _import(path)
    if not names:
        functions = _public_functions(module)
        if not functions:
            raise InvalidRequest(f"tool file {str(path)!r} defines no public function: define one, or {_FORM}")
    else:
        functions = []
        for name in names:
            value = getattr(module, name, None)
            if value is None or not callable(value):
                defined = ", ".join(f.__name__ for f in _public_functions(module)) or "none"
                raise InvalidRequest(
                    f"tool file {str(path)!r} has no function {name!r} (its public functions: {defined})"
                )
            functions.append(value)
    return [value if isinstance(value, FunctionTool) else tool(value) for value in functions]


def load_all(specs: list[str] | tuple[str, ...]) -> list[FunctionTool]:
    """The tools of several specs, in order (a toolbox then refuses a name given twice)."""
    return [found for spec in specs for found in load_tools(spec)]
