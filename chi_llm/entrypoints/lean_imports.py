"""dependency-injector without the integrations chi_llm does not use.

dependency-injector imports pydantic-settings, FastAPI, Starlette, PyYAML and others at import
time whenever they are installed (for its optional integrations), which costs ~0.3-0.9 s on every
command. In a process chi_llm owns (the CLI, `lean=True`) those imports are hidden from it while
it loads; they stay importable afterwards. Inside someone else's process (the library facade)
nothing is hidden, because their code may use those integrations.
"""

from __future__ import annotations

import sys
import types
from typing import Any

# The modules dependency-injector probes with `from X import Y` (and pydantic.VERSION). An empty
# stand-in makes each probe fail as "not installed"; None would not do, since compiled (Cython)
# imports return a None entry instead of raising.
OPTIONAL = (
    "pydantic_settings",
    "pydantic",
    "fastapi.params",
    "fast_depends.dependencies.model",
    "fast_depends.dependencies",
    "starlette.requests",
    "werkzeug.local",
    "yaml",  # only for Configuration.from_yaml; chi_llm imports the real one where it reads YAML
)
_lean = False


def use_lean_imports() -> None:
    """Called by the CLI's main before anything imports dependency-injector."""
    global _lean
    _lean = True


def dependency_injector() -> tuple[Any, Any]:
    """The `containers` and `providers` modules."""
    stand_ins = {name: _stand_in(name) for name in OPTIONAL if name not in sys.modules} if _lean else {}
    sys.modules.update(stand_ins)
    try:
        from dependency_injector import containers, providers
    finally:
        for name, stand_in in stand_ins.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
    return containers, providers


class _Absent(types.ModuleType):
    """A module that tests false: dependency-injector guards its YAML support with `if yaml:`."""

    def __bool__(self) -> bool:
        return False


def _stand_in(name: str) -> types.ModuleType:
    module = _Absent(name, "stand-in while dependency-injector loads (see chi_llm.entrypoints.lean_imports)")
    if name == "pydantic":
        module.VERSION = "0"  # type: ignore[attr-defined]  # not pydantic 1: no settings integration
    return module
