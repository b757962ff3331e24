"""Every public name of `chi_llm` (its `__all__`), and every public method and property of its
classes, has a docstring: the API reference (docs/reference/api.md, generated) shows them."""

from __future__ import annotations

import inspect
from typing import Any

import chi_llm


def own_doc(owner: type, name: str) -> str | None:
    raw = owner.__dict__[name]
    if isinstance(raw, (staticmethod, classmethod)):
        raw = raw.__func__
    return getattr(raw, "__doc__", None)


def undocumented_members(cls: type) -> list[str]:
    missing = []
    for name in dir(cls):
        if name.startswith("_"):
            continue
        owner = next((c for c in cls.__mro__ if name in c.__dict__), None)
        if owner is None or not owner.__module__.startswith("chi_llm"):
            continue  # inherited from the standard library (Exception's args, ...)
        raw = owner.__dict__[name]
        if (callable(raw) or isinstance(raw, (property, staticmethod, classmethod))) and not own_doc(owner, name):
            missing.append(f"{cls.__name__}.{name} ({owner.__module__}.{owner.__qualname__})")
    return missing


def public_objects() -> dict[str, Any]:
    return {name: getattr(chi_llm, name) for name in chi_llm.__all__ if name != "__version__"}


def test_every_public_name_has_a_docstring() -> None:
    missing = []
    for name, obj in public_objects().items():
        target = obj if inspect.isclass(obj) or inspect.isfunction(obj) else type(obj)
        doc = target.__dict__.get("__doc__") if inspect.isclass(target) else target.__doc__
        if not doc:
            missing.append(name)
    assert missing == []


def test_every_public_method_and_property_has_a_docstring() -> None:
    missing = []
    for obj in public_objects().values():
        cls = obj if inspect.isclass(obj) else type(obj)
        if cls.__module__.startswith("chi_llm"):
            missing += undocumented_members(cls)
    assert missing == []


def test_an_undocumented_method_is_found() -> None:
    class Documented:
        """A class."""

        def bare(self) -> None:
            pass

    Documented.__module__ = "chi_llm.example"
    assert undocumented_members(Documented) == [f"Documented.bare (chi_llm.example.{Documented.__qualname__})"]
