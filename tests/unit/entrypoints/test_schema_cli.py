"""`chi-llm extract --schema` with hostile schema files (issue 22): `--schema /dev/zero` gave a
traceback; it is now exit 2 with a line that says why, as is a schema nested too deeply."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.support.cli import run

SCHEMA = '{"type": "object", "properties": {"a": {"type": "string"}}}'


def test_a_schema_file_is_read_only_when_regular_and_small(isolated: Path) -> None:
    os.mkfifo(isolated / "fifo")
    (isolated / "big.json").write_text(" " * (1024 * 1024 + 1))
    (isolated / "latin1.json").write_bytes(b'{"description": "\xe9"}')
    (isolated / "folder").mkdir()
    for path, said in (
        ("/dev/zero", "is not a regular file"),
        ("fifo", "is not a regular file"),  # opened without waiting for a writer
        ("folder", "is not a regular file"),
        ("big.json", "is larger than 1024 KiB"),
        ("latin1.json", "is not UTF-8 text"),
        ("nowhere.json", "neither JSON nor a readable file"),
    ):
        done = run("extract", "x", "--schema", path, "--provider", "fake")
        assert done.exit_code == 2 and said in done.stderr, (path, done.stderr)


def test_a_schema_nested_too_deeply_is_exit_2(isolated: Path) -> None:
    for depth in (100, 100_000):  # past what the validator follows, and past what json can read
        done = run("extract", "x", "--schema", '{"items":' * depth + "{}" + "}" * depth, "--provider", "fake")
        assert done.exit_code == 2 and "nested more than 64 levels deep" in done.stderr


def test_a_regular_schema_file_still_works(isolated: Path) -> None:
    (isolated / "s.json").write_text(SCHEMA)
    (isolated / ".chi_llm.json").write_text(json.dumps({"provider": {"type": "fake", "replies": ['{"a": "b"}']}}))
    done = run("extract", "x", "--schema", "s.json")
    assert done.exit_code == 0 and json.loads(done.stdout) == {"a": "b"}
