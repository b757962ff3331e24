"""chi_llm 2.x's API table (the upstream reference, §1): one row is one case, run by
`check_row` on the fake backend (tests/unit/entrypoints/test_api_2x_*.py)."""

from __future__ import annotations

import inspect
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chi_llm import MicroLLM


@dataclass(frozen=True)
class Row:
    documented: str  # the row as the reference writes it
    old: bool  # a chi_llm 2.x spelling: a DeprecationWarning names today's
    check: Callable[[Path], None]


def fake_llm(*replies: str) -> MicroLLM:
    return MicroLLM(provider={"type": "fake", "replies": list(replies)})


def last_prompt(llm: MicroLLM) -> str:
    request = llm.backend.requests[-1]  # type: ignore[attr-defined]
    return str(request.prompt if request.prompt is not None else request.messages[-1].content)


def defaults(function: Callable[..., Any]) -> dict[str, Any]:
    return {name: p.default for name, p in inspect.signature(function).parameters.items() if p.default is not p.empty}


def fake_project(folder: Path) -> Path:
    """A project whose provider is the fake (it echoes the prompt when no reply is queued)."""
    (folder / ".chi_llm.json").write_text(json.dumps({"provider": {"type": "fake"}}))
    return folder


def check_row(name: str, case: Row, folder: Path) -> None:
    """The row's call works; an old spelling gives a DeprecationWarning saying what to write
    instead, today's spelling none."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        case.check(folder)
    notices = [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)]
    ours = [n for n in notices if "chi_llm 2.x" in n]
    if case.old:
        assert ours, f"{name}: no DeprecationWarning naming today's spelling"
        assert all("instead" in n or "today" in n for n in ours), ours
    else:
        assert not ours, f"{name} is today's spelling too, yet warned: {ours}"
