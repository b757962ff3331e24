"""A JSON Schema on its way to a llama.cpp grammar (issue 22), the in-process half: sizes stay
bounded, what the converter mishandles is rewritten, literals and escapes come out exactly. The
native code's half, in child processes with a memory limit, is in
tests/integration/adapters/test_schema_safety.py."""

from __future__ import annotations

from typing import Any

import pytest

from chi_llm.adapters.llama_cpp.grammar import MAX_GRAMMAR_BYTES, schema_text
from chi_llm.adapters.llama_cpp.schema_reduce import reduce_schema
from chi_llm.domain.errors import InvalidRequest


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
