"""The GGUF metadata reader on files built here."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from chi_llm.adapters.models.gguf import read_metadata, trained_context
from chi_llm.domain.errors import ModelCorrupt
from tests.support.bounded import run_python_bounded
from tests.support.gguf_files import gguf_bytes, nested_arrays, string


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
    with pytest.raises(ModelCorrupt, match=r"truncated or damaged \(\w|lacks the GGUF signature"):  # never "()"
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


HUGE = 1 << 40  # a length no real header holds (the file itself is a few bytes)
CRAFTED = {
    "arrays nested 5,000 deep": (gguf_bytes([("x", 9, nested_arrays(5000))]), "nested more than"),
    "a key of a terabyte": (b"GGUF" + struct.pack("<IQQQ", 3, 0, 1, HUGE) + b"k" * 64, "key of"),
    "a text value of a terabyte": (gguf_bytes([("x", 8, struct.pack("<Q", HUGE) + b"v" * 64)]), "text value of"),
    "an array of a terabyte of strings": (gguf_bytes([("x", 9, struct.pack("<IQ", 8, HUGE))]), "array of"),
    "an array of a terabyte of arrays": (gguf_bytes([("x", 9, struct.pack("<IQ", 9, HUGE))]), "array of"),
    "an array of a terabyte of integers": (gguf_bytes([("x", 9, struct.pack("<IQ", 4, HUGE))]), "array of"),
    "2^63 key/value pairs": (b"GGUF" + struct.pack("<IQQ", 3, 0, 1 << 63), "key/value pairs"),
}


@pytest.mark.parametrize("case", list(CRAFTED))
def test_a_crafted_header_is_refused_within_bounds(tmp_path: Path, case: str) -> None:
    """Each file is read in a child with 1 GiB of address space and a timeout: a regression that
    recursed, allocated what the header claims or walked a terabyte of items fails here."""
    data, expected = CRAFTED[case]
    path = tmp_path / "crafted.gguf"
    path.write_bytes(data)
    child = run_python_bounded(
        f"""
        from pathlib import Path
        from chi_llm.adapters.models.gguf import read_metadata
        from chi_llm.domain.errors import ModelCorrupt
        try:
            read_metadata(Path({str(path)!r}))
        except ModelCorrupt as error:
            print("refused:", error)
        else:
            print("accepted")
        """,
        timeout=30,
        memory=1 << 30,
    )
    assert child.returncode == 0, child.stderr[-2000:]
    assert child.stdout.startswith("refused:") and expected in child.stdout, child.stdout
    assert "get the model again" in child.stdout


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


def test_mutated_headers_are_read_or_refused_never_anything_else(tmp_path: Path) -> None:
    """600 headers with random bytes overwritten, inserted or cut (a fixed seed), read in one bounded
    child: each gives metadata or ModelCorrupt, nothing else, in bounded time and memory."""
    (tmp_path / "base.gguf").write_bytes(sample())
    child = run_python_bounded(
        f"""
        import random
        from pathlib import Path
        from chi_llm.adapters.models import gguf
        from chi_llm.domain.errors import ModelCorrupt
        folder = Path({str(tmp_path)!r})
        base = (folder / "base.gguf").read_bytes()
        rng = random.Random(22)
        outcomes = {{"read": 0, "refused": 0}}
        for n in range(600):
            data = bytearray(base)
            for _ in range(rng.randint(1, 4)):
                at = rng.randrange(4, len(data))
                move = rng.random()
                if move < 0.5:
                    data[at : at + 8] = rng.randbytes(8)
                elif move < 0.8:
                    data[at:at] = rng.randbytes(rng.randint(1, 16))
                else:
                    del data[at:]
                    break
            path = folder / f"m{{n}}.gguf"
            path.write_bytes(bytes(data))
            try:
                gguf.read_metadata(path)
                outcomes["read"] += 1
            except ModelCorrupt:
                outcomes["refused"] += 1
        print(outcomes)
        """,
        timeout=120,
        memory=1 << 30,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    assert "'refused'" in child.stdout
