"""`chi-llm extract` with a schema file and a repaired answer, and its errors, on the fake provider."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import run
from tests.support.structured import SCHEMA


def test_a_schema_file_and_a_repaired_answer(isolated: Path) -> None:
    (isolated / "person.json").write_text(json.dumps(SCHEMA))
    replies = ['{"name": "Bo"}', '{"name": "Bo", "age": 2}']  # the first misses a field
    (isolated / ".chi_llm.json").write_text(json.dumps({"provider": {"type": "fake", "replies": replies}}))
    result = run("extract", "Bo is 2", "--schema", "person.json", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["value"] == {"name": "Bo", "age": 2}
    assert json.loads(result.stdout)["attempts"] == 2


def test_errors_are_clear(isolated: Path) -> None:
    bad = run("extract", "x", "--schema", "{not json")
    assert bad.exit_code == 2 and "--schema is not valid JSON" in bad.stderr
    missing = run("extract", "x", "--schema", "nowhere.json")
    assert missing.exit_code == 2 and "neither JSON nor a readable file" in missing.stderr
    unparsable = run("extract", "x", "--schema", json.dumps(SCHEMA), "--provider", "fake", "--json")
    assert unparsable.exit_code == 1
    assert json.loads(unparsable.stdout)["error"]["kind"] == "structured_output_failed"
    few = run("classify", "x", "-c", "one", "--provider", "fake")
    assert few.exit_code == 2 and "two different labels" in few.stderr
