"""The JSON a schema grammar lets the model write is JSON: a string holds no raw control
character (llama-cpp-python's converter allowed any character but `"` and `\\`, so a model could
write a raw newline inside a string, which no JSON reader takes)."""

from __future__ import annotations

import re

import pytest

from chi_llm.adapters.llama_cpp.grammar import parses, schema_text

SCHEMAS = {
    "plain": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
    "bounded": {"type": "object", "properties": {"text": {"type": "string", "minLength": 2, "maxLength": 9}}},
    "array": {"type": "array", "items": {"type": "string"}},
}


@pytest.mark.parametrize("schema", SCHEMAS.values(), ids=SCHEMAS.keys())
def test_a_string_character_is_never_a_control_character(schema: dict[str, object]) -> None:
    text = schema_text(schema, tokens=64)
    (char,) = re.findall(r"^char ::= (.*)$", text, re.MULTILINE)
    assert char.startswith(r'[^"\\\x7F\x00-\x1F] | "\\" ')
    assert parses(text, None)
