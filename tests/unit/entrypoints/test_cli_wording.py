"""What the CLI says back: the scope a change went to, and table headers that carry the units."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import out, run


@pytest.mark.parametrize(("flags", "scope"), [((), "project"), (("--project",), "project"), (("--global",), "global")])
def test_config_commands_name_the_file_they_changed(isolated: Path, flags: tuple[str, ...], scope: str) -> None:
    written = json.loads(out(run("config", "set", "max_tokens", "9", *flags, "--json")))
    assert written["scope"] == scope
    removed = run("config", "unset", "max_tokens", *flags)
    assert removed.exit_code == 0 and f"removed max_tokens from the {scope} file" in removed.stderr
    again = json.loads(out(run("config", "unset", "max_tokens", *flags, "--json")))
    assert again == {"key": "max_tokens", "scope": scope, "removed": False}
    assert json.loads(out(run("config", "migrate", *flags, "--json")))["scope"] == scope


def test_models_list_puts_the_units_in_the_header() -> None:
    lines = out(run("models", "list")).splitlines()
    header, rows = lines[0], [line for line in lines[1:] if line.strip()]
    assert "SIZE GiB" in header and "RAM GiB" in header
    rows_json = json.loads(out(run("models", "list", "--json")))
    assert len(rows) == len(rows_json) and not any("RAM" in row for row in rows)
    for row, data in zip(rows, rows_json, strict=True):
        cells = row[len(data["id"]) + row.index(data["id"]) :].split()
        ram = float(cells[-1 - len(data["tags"])])  # a bare number: the unit is in the header
        assert ram == pytest.approx(data["ram_needed_bytes"] / 2**30, abs=0.05)
