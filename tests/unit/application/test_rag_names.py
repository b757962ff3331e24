"""Stored names: a file name that is not UTF-8 is held escaped, and the escape leads back to it."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chi_llm.application.rag.names import checked_filter, name_on_disk, stored_name
from chi_llm.domain.errors import InvalidRequest


@given(st.binary(min_size=1, max_size=40).filter(lambda raw: b"\\x" not in raw))
def test_an_escaped_name_leads_back_to_the_file(raw: bytes) -> None:
    name = os.fsdecode(raw)
    stored = stored_name(name)
    stored.encode("utf-8")  # any store and any output can hold it
    assert name_on_disk(stored) == name
    assert stored == name or "\\x" in stored


def test_names_that_are_utf8_are_unchanged() -> None:
    assert stored_name("/docs/café.md") == "/docs/café.md"
    assert stored_name(os.fsdecode(b"/docs/caf\xe9.md")) == "/docs/caf\\xe9.md"
    assert stored_name("\ud800") == "\\ud800"  # a surrogate standing for no byte is escaped too


def test_filters_are_checked_and_stored_fields_mapped() -> None:
    odd = os.fsdecode(b"/docs/caf\xe9.md")
    assert checked_filter({"source": odd, "n": 1.5, "ok": True}) == {
        "source": "/docs/caf\\xe9.md",
        "n": 1.5,
        "ok": True,
    }
    assert checked_filter({}) is None
    for bad in ({"n": float("nan")}, {"n": float("inf")}, {"n": None}, {"n": [1]}, {"": 1}, {"k": "\udcff"}):
        with pytest.raises(InvalidRequest, match="filter"):
            checked_filter(bad)
