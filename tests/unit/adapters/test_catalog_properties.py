"""Property tests: catalog entries parse to what they say, and bad fields are named."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chi_llm.adapters.models.catalog import spec_from_entry, validate_catalog
from chi_llm.domain.errors import ConfigError

NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=1, max_size=20).filter(
    lambda s: s[0].isalnum()
)
SHA = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)


@st.composite
def entries(draw: st.DrawFn) -> dict[str, object]:
    filename = draw(NAME) + ".gguf"
    entry: dict[str, object] = {
        "id": draw(NAME),
        "source": f"hf:{draw(NAME)}/{draw(NAME)}/{filename}",
        "tags": draw(st.lists(NAME, max_size=4)),
    }
    for key, strategy in [
        ("size_bytes", st.integers(1, 10**12)),
        ("sha256", SHA),
        ("context_length", st.integers(64, 10**6)),
        ("kv_bytes_per_token", st.integers(1, 10**6)),
    ]:
        if draw(st.booleans()):
            entry[key] = draw(strategy)
    return entry


@given(entry=entries())
def test_valid_entries_parse_faithfully(entry: dict[str, object]) -> None:
    spec = spec_from_entry(entry, where="test")
    assert spec.id == entry["id"] and spec.filename == str(entry["source"]).rsplit("/", 1)[1]
    assert spec.size_bytes == entry.get("size_bytes") and spec.sha256 == entry.get("sha256")
    assert list(spec.tags) == entry["tags"]
    assert str(spec.source) == entry["source"]


@given(
    entry=entries(),
    field=st.sampled_from(["size_bytes", "context_length", "sha256", "source", "tags"]),
    bad=st.sampled_from([-1, 0, "x", "ftp:y", 3.5, [1]]),
)
def test_bad_fields_are_reported_with_the_entry_id(entry: dict[str, object], field: str, bad: object) -> None:
    broken = {**entry, field: bad}
    with pytest.raises(ConfigError) as error:
        spec_from_entry(broken, where="test")
    assert error.value.key == entry["id"], f"{field}={bad!r}"


@given(items=st.lists(entries(), min_size=1, max_size=6))
def test_validate_counts_and_flags_duplicates(items: list[dict[str, object]]) -> None:
    text = json.dumps({"zero_config_default": items[0]["id"], "models": items})
    errors, _, count = validate_catalog(text, where="t")
    assert count == len(items)
    duplicated = len({e["id"] for e in items}) < len(items)
    assert any("duplicate id" in e for e in errors) == duplicated


@pytest.mark.parametrize("text", ["", "models: 5", "[1, 2]", "models: [\n"])
def test_unparseable_catalogs_are_errors(text: str) -> None:
    errors, _, _ = validate_catalog(text, where="t")
    assert errors
