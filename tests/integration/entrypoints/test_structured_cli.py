"""`chi-llm extract | classify` — the issue's acceptance commands on the embedded model (offline:
no network namespace needed, the model is already there), and their errors."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tests.support.cli import run

SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}


def chi(args: list[str], home: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CHI_LLM_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "chi_llm", *args], input=stdin, capture_output=True, text=True, timeout=300, env=env
    )


def test_extract_from_stdin_prints_a_valid_object(isolated: Path, default_model_path: Path) -> None:
    home = default_model_path.parent.parent
    done = chi(["extract", "-", "--schema", json.dumps(SCHEMA), "--json"], home, "Alice is 31 and lives in Paris")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    jsonschema.validate(result["value"], SCHEMA)
    assert result["attempts"] in (1, 2) and result["usage"]["completion_tokens"] > 0
    assert result["enforced"] is True  # llama.cpp decoded under the schema's grammar


def test_classify_prints_exactly_one_of_the_labels(isolated: Path, default_model_path: Path) -> None:
    done = chi(["classify", "I love it", "-c", "positive,negative,neutral"], default_model_path.parent.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() in {"positive", "negative", "neutral"}


def test_classify_reports_llama_cpps_confidence(isolated: Path, default_model_path: Path) -> None:
    from chi_llm import MicroLLM

    llm = MicroLLM(model=default_model_path, context=2048)
    label = llm.classify("It broke on the first day.", ["positive", "negative", "neutral"])
    done = llm.last_classification
    assert done is not None and done.scores is not None and set(done.scores) == {"positive", "negative", "neutral"}
    assert abs(sum(done.scores.values()) - 1) < 1e-6 and done.confidence == done.scores[label]
    assert llm.generate("Say hi", max_tokens=4)  # the model still generates after scoring
    again = asyncio.run(llm.aclassify("It broke on the first day.", ["positive", "negative", "neutral"]))
    assert again == label and llm.last_classification is not None
    assert llm.last_classification.scores == pytest.approx(done.scores)  # the async twin scores too
    llm.close()


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
