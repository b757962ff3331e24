"""The GGUF metadata reader on the real default model, and on crafted or mutated headers in bounded
child processes."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from chi_llm.adapters.models.gguf import read_metadata, trained_context
from tests.support.bounded import run_python_bounded
from tests.support.gguf_files import gguf_bytes, nested_arrays, sample


def test_real_default_model_metadata(default_model_path: Path) -> None:
    meta = read_metadata(default_model_path)
    assert meta["general.architecture"] == "llama"
    assert trained_context(meta) == 8192
    assert "im_start" in meta["tokenizer.chat_template"]


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
