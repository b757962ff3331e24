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

import pytest

from chi_llm.adapters.llama_cpp.grammar import MAX_GRAMMAR_BYTES, schema_text
from chi_llm.adapters.llama_cpp.schema_reduce import reduce_schema
from chi_llm.domain.errors import InvalidRequest

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


def test_a_huge_maximum_is_left_to_validation_and_the_grammar_stays_small() -> None:
    for schema in (
        {"type": "string", "maxLength": 10**9},
        {"type": "array", "items": {"type": "integer"}, "maxItems": 10**7},
    ):
        reduced = reduce_schema(schema, max_chars=65536)
        assert "maxLength" not in reduced and "maxItems" not in reduced
        assert len(schema_text(schema, tokens=512)) < 2000
    kept = reduce_schema({"type": "string", "minLength": 2, "maxLength": 40}, max_chars=65536)
    assert kept == {"type": "string", "minLength": 2, "maxLength": 40}  # a small bound is enforced


def test_what_the_converter_mishandles_is_rewritten() -> None:
    assert reduce_schema({"type": "string", "enum": ["a", 1, None]}, max_chars=999) == {"enum": ["a"]}
    assert reduce_schema({"type": "integer", "minimum": 1, "maximum": 3}, max_chars=999) == {"enum": [1, 2, 3]}
    assert reduce_schema({"anyOf": [False, {"enum": []}, {"type": "null"}]}, max_chars=999) == {
        "anyOf": [{"type": "null"}]
    }
    closed = reduce_schema({"type": "object", "properties": {"a": False, "b": {}}}, max_chars=999)
    assert list(closed["properties"]) == ["b"]
    listed = reduce_schema({"type": "object", "required": ["x"]}, max_chars=999)
    assert listed["properties"] == {"x": {}} and listed["required"] == ["x"]
    beside = reduce_schema({"type": "string", "anyOf": [{"maxLength": 3}, {"enum": ["a", 1]}]}, max_chars=999)
    assert beside == {"anyOf": [{"type": "string", "maxLength": 3}, {"enum": ["a"]}]}  # the type holds in each
    typed = reduce_schema({"type": ["string", "null"], "enum": ["a", None, 3]}, max_chars=999)
    assert typed == {"anyOf": [{"enum": ["a"]}, {"enum": [None]}]}


def test_sizes_are_bounded() -> None:
    deep: dict[str, Any] = {"type": "string"}
    for _ in range(40):
        deep = {"type": "array", "items": deep}
    with pytest.raises(InvalidRequest, match="nested more than 32 levels"):
        schema_text(deep, tokens=512)
    with pytest.raises(InvalidRequest, match="multiply to more than 256"):
        schema_text({"type": "array", "items": {"anyOf": [{"enum": list(range(20))}] * 20}}, tokens=512)
    with pytest.raises(InvalidRequest, match=f"over {MAX_GRAMMAR_BYTES // 1024} KiB"):
        schema_text({"const": "x" * (MAX_GRAMMAR_BYTES + 1)}, tokens=10**6)
    long_text = {f"p{i}": {"type": "string", "minLength": 1000} for i in range(9)}
    with pytest.raises(InvalidRequest, match="add up to more than 8192"):
        schema_text({"type": "object", "properties": long_text, "required": list(long_text)}, tokens=10**6)
    shared = {"type": "array", "items": {"type": "string", "minLength": 1000}, "minItems": 10}
    assert schema_text(shared, tokens=10**6)  # one rule used ten times: counted once


def test_a_literal_matches_its_json_text_exactly() -> None:
    """The converter left json.dumps's backslashes for GBNF to read: `\\u0013` asked for a raw
    control character no token produces (llama.cpp aborted), a `"` ended the literal early."""
    text = schema_text({"enum": ['say "hi"', "a\u0013b", "\U0001f600"]}, tokens=512)
    root = next(line for line in text.splitlines() if line.startswith("root ::="))
    assert root == r'root ::= "\"say \\\"hi\\\"\"" | "\"a\\u0013b\"" | "\"\\ud83d\\ude00\""'


def test_common_pattern_escapes_become_grammar_the_converter_passes_on() -> None:
    text = schema_text({"type": "string", "pattern": r"^\d{2}\.\w\s[\d-]$"}, tokens=512)
    assert "\\d" not in text and "[0-9]" in text and "\\x2E" in text
    for unsafe in ("^\\x00$", "^\u00e9$", "^a\u0013$"):  # a character some vocabulary has no token for
        assert reduce_schema({"type": "string", "pattern": unsafe}, max_chars=999) == {"type": "string"}


def test_alternatives_reached_through_refs_multiply_too() -> None:
    """llama.cpp follows every alternative that still fits at once, per token: 16 x 16 x 16 took
    seconds a token. A $ref walked once at the top and used again inside alternatives counts."""

    def level(i: int, inner: Any) -> dict[str, Any]:
        return {"type": "object", "properties": {"a": inner, f"z{i}": {}}, "required": ["a", f"z{i}"]}

    defs: dict[str, Any] = {"l3": {"anyOf": [level(i, {"type": "string"}) for i in range(16)]}}
    defs["l2"] = {"anyOf": [level(i, {"$ref": "#/$defs/l3"}) for i in range(16)]}
    assert schema_text({"$defs": defs, "anyOf": [{"$ref": "#/$defs/l2"}]}, tokens=512)  # 16 x 16 is fine
    nested: dict[str, Any] = {"anyOf": [level(i, {"$ref": "#/$defs/l2"}) for i in range(16)]}
    first_at_the_top = {
        "$defs": defs,
        "type": "object",
        "properties": {
            "x": {"$ref": "#/$defs/l2"},
            "y": {"anyOf": [level(i, {"$ref": "#/$defs/l2"}) for i in range(16)]},
        },
    }
    for schema in ({"$defs": defs, **nested}, first_at_the_top):
        with pytest.raises(InvalidRequest, match="multiply to more than 256"):
            schema_text(schema, tokens=512)
