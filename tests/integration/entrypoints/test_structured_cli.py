"""`chi-llm extract | classify` — the issue's acceptance commands on the embedded model (offline:
no network namespace needed, the model is already there)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tests.support.structured import SCHEMA


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
