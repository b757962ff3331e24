"""The check before a load: a file written since its verification (its ctime moved) is hashed in
full; an untouched one only sampled. The ctime is the one clock a writer cannot set back."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from chi_llm.adapters.fake import InMemoryCatalog
from chi_llm.adapters.models import files as model_files
from chi_llm.adapters.models.files import LocalModelFiles
from chi_llm.application.models.store import ModelStore
from chi_llm.domain.errors import ModelFetchFailed
from chi_llm.domain.models.spec import HfSource, ModelSpec, RemoteFile
from chi_llm.domain.ports import ModelSource, ProgressCallback

BLOCK = 64 * 1024
DATA = bytes(range(256)) * (40 * BLOCK // 256)  # 2.5 MiB: room between the sampled blocks
SPEC = ModelSpec(
    id="tiny", name="Tiny", source=HfSource(repo="o/r", filename="tiny.gguf"), filename="tiny.gguf"
)  # no catalog sha256, like 24 of the 25 catalog entries: the stamp's sha256 is the reference


@pytest.fixture
def full_hashes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every full sha256 of a stored file, counted."""
    hashed: list[Path] = []
    real = model_files.sha256_of

    def counted(path: Path) -> str:
        hashed.append(path)
        return real(path)

    monkeypatch.setattr(model_files, "sha256_of", counted)
    return hashed


def stored(folder: Path) -> Path:
    files = LocalModelFiles(folder)
    partial = files.partial_path(SPEC)
    partial.write_bytes(DATA)
    return files.place(SPEC, partial)


def unsampled_offset(size: int) -> int:
    """A byte that neither the edges nor the 16 spread blocks cover."""
    starts = [(i + 1) * size // (model_files.SAMPLE_BLOCKS + 1) for i in range(model_files.SAMPLE_BLOCKS)]
    for offset in range(model_files.SAMPLE_EDGE, size - model_files.SAMPLE_EDGE):
        if not any(s <= offset < s + model_files.SAMPLE_BLOCK for s in starts):
            return offset
    raise AssertionError("no unsampled byte")


def flip_keeping_size_and_mtime(path: Path) -> None:
    before = path.stat()
    with path.open("r+b") as handle:  # edited in place, as a bit rot or a careless tool would
        offset = unsampled_offset(before.st_size)
        handle.seek(offset)
        byte = handle.read(1)
        handle.seek(offset)
        handle.write(bytes([byte[0] ^ 0xFF]))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_an_untouched_file_is_sampled_never_hashed_in_full(tmp_path: Path, full_hashes: list[Path]) -> None:
    stored(tmp_path / "models")
    full_hashes.clear()
    assert LocalModelFiles(tmp_path / "models").is_ready(SPEC)  # a new process: no memory of earlier checks
    assert LocalModelFiles(tmp_path / "models").is_ready(SPEC)
    assert full_hashes == []


def test_a_byte_flipped_outside_the_samples_with_mtime_restored_is_caught(
    tmp_path: Path, full_hashes: list[Path]
) -> None:
    path = stored(tmp_path / "models")
    flip_keeping_size_and_mtime(path)
    full_hashes.clear()
    files = LocalModelFiles(tmp_path / "models")
    assert not files.is_ready(SPEC)  # the ctime moved: hashed in full against the stamp's sha256
    assert full_hashes == [path]
    assert files.quick_check(SPEC) is not None  # diagnostics do not call it verified either


def test_a_copied_store_pays_one_full_hash_then_is_sampled_again(tmp_path: Path, full_hashes: list[Path]) -> None:
    stored(tmp_path / "models")
    shutil.copytree(tmp_path / "models", tmp_path / "copy")  # copy2 keeps mtimes; the ctime is new
    full_hashes.clear()
    assert LocalModelFiles(tmp_path / "copy").quick_check(SPEC) is not None  # not yet checked here
    assert LocalModelFiles(tmp_path / "copy").is_ready(SPEC)
    assert len(full_hashes) == 1
    assert LocalModelFiles(tmp_path / "copy").is_ready(SPEC)
    assert LocalModelFiles(tmp_path / "copy").quick_check(SPEC) is None
    assert len(full_hashes) == 1  # stamped again: later loads sample


class Unreachable(ModelSource):
    scheme = "hf"

    def describe(self, spec: ModelSpec) -> RemoteFile:
        raise ModelFetchFailed("could not download hf:o/r/tiny.gguf (the network is down)", backend="huggingface")

    def disk_needed(self, spec: ModelSpec, size: int, resume_dir: Path) -> int:
        return size

    def fetch(self, spec: ModelSpec, destination: Path, progress: ProgressCallback, resume_dir: Path) -> None:
        raise AssertionError("describe failed first")


def test_loading_a_damaged_file_is_refused_and_says_what_to_do(tmp_path: Path) -> None:
    path = stored(tmp_path / "models")
    flip_keeping_size_and_mtime(path)
    store = ModelStore(InMemoryCatalog(SPEC), LocalModelFiles(tmp_path / "models"), {"hf": Unreachable()})
    with pytest.raises(ModelFetchFailed) as caught:
        store.locate("tiny")
    message = str(caught.value)
    assert "failed its integrity check" in message and "chi-llm models download tiny" in message
    assert "network is down" in message
    assert hashlib.sha256(path.read_bytes()).hexdigest() != hashlib.sha256(DATA).hexdigest()  # left for the user
