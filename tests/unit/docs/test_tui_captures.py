"""The terminal UI's text captures on the front pages are the screens its snapshot tests render
(tui/chi-tui/tests/snapshots), so they change when the screens do."""

from __future__ import annotations

import pytest

from tests.support.doc_fences import ROOT, fences

SNAPSHOTS = ROOT / "tui" / "chi-tui" / "tests" / "snapshots"


def rendered(snapshot: str) -> str:
    """The screen of an insta snapshot: the lines after its header, without their quotes."""
    body = (SNAPSHOTS / snapshot).read_text(encoding="utf-8").split("---\n", 2)[2]
    return "".join(line[1:-1] + "\n" for line in body.splitlines())


@pytest.mark.parametrize(
    ("page", "snapshot"),
    [
        ("README.md", "snapshots_screens__chat_answered_80x24.snap"),
        ("docs/index.md", "snapshots__welcome_ready_80x24.snap"),
    ],
)
def test_a_tui_capture_is_its_snapshot(page: str, snapshot: str) -> None:
    captures = [f.code for f in fences(ROOT / page) if f.lang == "text"]
    assert captures == [rendered(snapshot)]
