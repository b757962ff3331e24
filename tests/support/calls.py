"""Recording the calls of a method while it keeps working (how many configuration resolutions,
file reads or constructions a piece of work costs)."""

from __future__ import annotations

from typing import Any

import pytest


def counting(monkeypatch: pytest.MonkeyPatch, owner: type, name: str) -> list[object]:
    """Each call of `owner.name` from now on, as its first argument (the instance), in order."""
    calls: list[object] = []
    method = getattr(owner, name)

    def counted(self: object, *args: Any, **kwargs: Any) -> Any:
        calls.append(self)
        return method(self, *args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls
