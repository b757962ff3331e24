"""The GGUF metadata reader on files built here."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from chi_llm.adapters.gguf import read_metadata, trained_context
from chi_llm.domain.errors import ModelCorrupt


def gguf_bytes(entries: list[tuple[str, int, bytes]]) -> bytes:
    out = b"GGUF" + struct.pack("<IQQ", 3, 0, len(entries))
    for key, kind, payload in entries:
        out += struct.pack("<Q", len(key)) + key.encode() + struct.pack("<I", kind) + payload
    return out


def string(value: str) -> bytes:
    return struct.pack("<Q", len(value)) + value.encode()


def sample() -> bytes:
    return gguf_bytes(
        [
            ("general.architecture", 8, string("llama")),
            ("llama.context_length", 4, struct.pack("<I", 8192)),
            ("tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, 2) + string("a") + string("b")),
            ("tokenizer.ggml.scores", 9, struct.pack("<IQ", 6, 2) + struct.pack("<ff", 0.5, 0.25)),
            ("tokenizer.chat_template", 8, string("{{ messages }}")),
            ("general.flag", 7, struct.pack("<?", True)),
        ]
    )


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
    with pytest.raises(ModelCorrupt):
        read_metadata(path)


def test_not_a_gguf_file(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(b"<html>not found</html>")
    with pytest.raises(ModelCorrupt, match="not a GGUF") as error:
        read_metadata(path)
    assert "get it again from where it came from" in str(error.value)  # the user's own file: how to fix it


def test_real_default_model_metadata(default_model_path: Path) -> None:
    meta = read_metadata(default_model_path)
    assert meta["general.architecture"] == "llama"
    assert trained_context(meta) == 8192
    assert "im_start" in meta["tokenizer.chat_template"]


def test_facts_are_kept_across_processes_and_refreshed_when_the_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chi_llm.adapters import gguf

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
