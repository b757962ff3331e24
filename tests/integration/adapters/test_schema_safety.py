"""A JSON Schema on its way to a llama.cpp grammar (issue 22): a schema that can never be
satisfied, cannot fit the request or is too large is a clear InvalidRequest that says why, never a
grammar llama.cpp refuses (llama-cpp-python sampled through the NULL sampler: SIGSEGV) and never
unbounded memory (`minLength: 1e9` spelled out a billion repetitions). Native code runs only in
child processes with a memory limit, so a regression fails a test instead of the test run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]


def child(*args: str, timeout: float = 300) -> dict[str, Any]:
    """`python -m tests.support.schema_fuzz ARGS` (it limits its own address space); its report."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.schema_fuzz", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"exit {done.returncode} (negative: killed by that signal)\n{done.stdout[-3000:]}"
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


# (schema, max_tokens, what the error must say; None: a grammar)
RECIPES: list[tuple[Any, int, str | None]] = [
    ({"enum": []}, 512, "$.enum: no value is allowed"),
    ({"anyOf": []}, 512, "$.anyOf: an empty list allows no value"),
    ({"oneOf": []}, 512, "$.oneOf: an empty list allows no value"),
    ({"type": []}, 512, "$.type: an empty list allows no value"),
    ({"type": "object", "properties": {"a": {"enum": []}}, "required": ["a"]}, 512, "$.properties.a.enum"),
    ({"type": "array", "items": {"anyOf": [{"enum": []}]}, "minItems": 1}, 512, "$.items.anyOf[0].enum"),
    ({"type": "string", "minLength": 5, "maxLength": 2}, 512, "minLength 5 is above maxLength 2"),
    ({"type": "array", "minItems": 3, "maxItems": 1, "items": {}}, 512, "minItems 3 is above maxItems 1"),
    ({"type": "integer", "minimum": 5, "maximum": 2}, 512, "no whole number lies between"),
    ({"type": "number", "exclusiveMinimum": 1, "maximum": 1}, 512, "no number lies between"),
    ({"type": "object", "required": ["b"], "additionalProperties": False}, 512, "'b' is not allowed"),
    ({"type": "object", "properties": {"a": {}}, "maxProperties": 0, "required": ["a"]}, 512, "maxProperties is 0"),
    ({"type": "string", "enum": [1, 2]}, 512, "no value is allowed of type string"),
    ({"type": "string", "const": 3}, 512, "const 3 is not of type string"),
    ({"anyOf": [False, {"allOf": [False]}]}, 512, "false allows no value"),
    ({"type": "string", "minLength": 1_000_000_000}, 512, "cannot fit"),
    ({"type": "array", "items": {"type": "integer"}, "minItems": 10_000_000}, 512, "cannot fit"),
    ({"type": "string", "minLength": 600}, 4, "cannot fit"),
    ({"type": "string", "minLength": 10**400}, 512, "cannot fit"),  # no float holds it: OverflowError before
    ({"type": "integer", "minimum": 10**400, "maximum": 10**400 + 2}, 512, None),
    ({"type": "string", "minLength": 5000}, 4096, "minLength 5000 is above 1024"),
    ({"$ref": "https://example.com/schema.json"}, 512, "not a reference inside the schema"),
    ({"$ref": "#/$defs/missing"}, 512, "points at nothing"),
    ({"type": "object", "properties": {f"p{i}": {} for i in range(100)}}, 512, "more than 64 optional properties"),
    ({"type": "string", "maxLength": 1_000_000_000}, 512, None),
    ({"enum": ["a\u0013b", 'say "hi"', "back\\slash", "\U0001f600", "\ud800"]}, 512, None),  # 134, 139 before
    ({"type": "object", "properties": {'na"me\u0001': {"const": "é"}}, "required": ['na"me\u0001']}, 512, None),
    ({"type": "string", "pattern": "^a\ud800$"}, 512, None),  # a lone surrogate: left to validation
    ({"type": "array", "items": {"type": "integer"}, "maxItems": 10_000_000}, 512, None),
    ({"type": "object", "properties": {"a": {"enum": []}}}, 512, None),  # optional: left out
    ({"type": "string", "pattern": r"^\d{3}-\d{4}$"}, 512, None),
    ({"type": "string", "pattern": "^(?=a)b$"}, 512, None),  # the converter cannot: left to validation
    (
        {"$ref": "#/$defs/n", "$defs": {"n": {"type": "object", "properties": {"next": {"$ref": "#/$defs/n"}}}}},
        512,
        None,
    ),
]


def test_the_campaigns_recipes_end_as_a_grammar_or_an_error_that_says_why() -> None:
    report = child("--recipes", json.dumps([[schema, tokens] for schema, tokens, _ in RECIPES]), "--memory-mb", "1024")
    for (schema, _, expected), said in zip(RECIPES, report["said"], strict=True):
        if expected is None:
            assert said == "grammar", (schema, said)
        else:
            assert expected in said and "llama.cpp grammar" in said, (schema, said)
    assert report["peak_rss_mb"] < 400  # a billion repetitions would need gigabytes


def test_arbitrary_schemas_end_as_a_grammar_llama_cpp_accepts_or_a_clear_error() -> None:
    report = child("--examples", "300")
    assert report["examples"] == 300 and report["grammars"] > 50 and report["refused"] > 20
    assert report["peak_rss_mb"] < 600


def test_arbitrary_schemas_drive_the_grammar_sampler_over_a_real_vocabulary(default_model_path: Path) -> None:
    report = child("--examples", "120", "--vocab", str(default_model_path), "--steps", "6")
    assert report["examples"] == 120 and report["grammars"] > 30


# -- the reductions, in-process (pure Python: the converter, never llama.cpp's parser) ---------
