"""The GGUF metadata reader on files built here."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from chi_llm.adapters.models.gguf import read_metadata, trained_context
from chi_llm.domain.errors import ModelCorrupt
from tests.support.gguf_files import gguf_bytes, nested_arrays, sample, string


def test_reads_scalars_and_skips_arrays(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(sample())
    meta = read_metadata(path)
    assert meta == {
        "general.architecture": "llama",
        "llama.context_length": 8192,
        "tokenizer.chat_template": "{{ messages }}",
        "general.flag": True,
    }
    assert trained_context(meta) == 8192


@pytest.mark.parametrize("cut", [3, 10, 40, 120])
def test_truncated_header_is_corrupt(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(sample()[:cut])
    with pytest.raises(ModelCorrupt, match=r"truncated or damaged \(\w|lacks the GGUF signature"):  # never "()"
        read_metadata(path)


def test_not_a_gguf_file(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(b"<html>not found</html>")
    with pytest.raises(ModelCorrupt, match="not a GGUF") as error:
        read_metadata(path)
    assert "get it again from where it came from" in str(error.value)  # the user's own file: how to fix it


def test_facts_are_kept_across_processes_and_refreshed_when_the_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chi_llm.adapters.models import gguf

    path = tmp_path / "m.gguf"
    path.write_bytes(sample())
    assert read_metadata(path)["llama.context_length"] == 8192
    gguf._metadata.cache_clear()  # as a new process would start

    def no_parsing(_: Path) -> dict[str, object]:
        raise AssertionError("parsed again instead of reading the cache")

    monkeypatch.setattr(gguf, "_read", no_parsing)
    assert read_metadata(path)["llama.context_length"] == 8192  # from the on-disk cache
    monkeypatch.undo()
    changed = sample().replace(struct.pack("<I", 8192), struct.pack("<I", 2048))
    path.write_bytes(changed + b"\0")  # a new size (and mtime): a new version of the file
    assert read_metadata(path)["llama.context_length"] == 2048


def test_arrays_within_the_bounds_are_still_read(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(
        gguf_bytes(
            [
                ("x", 9, nested_arrays(8)),
                ("y", 9, struct.pack("<IQ", 9, 2) + struct.pack("<IQ", 8, 1) + string("s") + struct.pack("<IQ", 4, 0)),
                ("general.architecture", 8, string("llama")),
            ]
        )
    )
    assert read_metadata(path) == {"general.architecture": "llama"}


def test_the_total_header_bound_applies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chi_llm.adapters.models import gguf

    monkeypatch.setattr(gguf, "MAX_HEADER", 4096)
    monkeypatch.setattr(gguf, "MAX_KEPT", 1 << 30)
    path = tmp_path / "m.gguf"
    path.write_bytes(gguf_bytes([(f"k{i}", 8, string("v" * 100)) for i in range(100)]))
    with pytest.raises(ModelCorrupt, match="metadata longer than"):
        read_metadata(path)
    monkeypatch.setattr(gguf, "MAX_HEADER", 1 << 30)
    monkeypatch.setattr(gguf, "MAX_KEPT", 5000)
    gguf._metadata.cache_clear()
    with pytest.raises(ModelCorrupt, match="of text values"):
        read_metadata(path)


def test_the_total_item_bound_applies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chi_llm.adapters.models import gguf

    monkeypatch.setattr(gguf, "MAX_ITEMS", 1000)
    path = tmp_path / "m.gguf"
    path.write_bytes(gguf_bytes([(f"k{i}", 9, struct.pack("<IQ", 0, 400) + bytes(400)) for i in range(3)]))
    with pytest.raises(ModelCorrupt, match="more than 1,000 array items in all"):
        read_metadata(path)


def test_a_file_name_that_is_not_utf8_is_read(tmp_path: Path) -> None:
    import os

    path = tmp_path / os.fsdecode(b"\xffmodel-\xe9.gguf")
    path.write_bytes(sample())
    assert read_metadata(path)["llama.context_length"] == 8192
    from chi_llm.adapters.models import gguf

    gguf._metadata.cache_clear()
    assert read_metadata(path)["general.architecture"] == "llama"  # and from the cache on disk
