"""A stand-in chi-tui crate (a program that prints its arguments), and no chi-tui installed, for
the `chi-llm ui` launcher tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from chi_llm.entrypoints import tui_launcher

HELLO = 'fn main() { println!("chi-tui stand-in {:?}", std::env::args().skip(1).collect::<Vec<_>>()); }\n'


def crate(tmp_path: Path) -> Path:
    root = tmp_path / "chi-tui"
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text(
        '[package]\nname = "chi-tui"\nversion = "0.0.1"\nedition = "2021"\n\n[workspace]\n', encoding="utf-8"
    )
    (root / "src" / "main.rs").write_text(HELLO, encoding="utf-8")
    return root


def no_installed_tui(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tui_launcher, "program_path", lambda name: None)
