"""Hugging Face downloads through huggingface-hub against a local hub server (HF_ENDPOINT)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from chi_llm.adapters.fake import InMemoryCatalog
from chi_llm.adapters.models.files import LocalModelFiles
from chi_llm.adapters.models.hf_source import HfModelSource
from chi_llm.application.models.store import ModelStore
from chi_llm.domain.errors import InsufficientResources, MissingCredentials, ModelCorrupt, ModelNotFound
from chi_llm.domain.models.spec import FetchProgress, HfSource, ModelSpec
from tests.support.hub_server import Hub, hub_for_downloads

REPO, FILE = "org/Tiny-GGUF", "tiny-Q4_K_M.gguf"
DATA = b"GGUF" + bytes((i * 31 + 7) % 256 for i in range(400_000))


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    with hub_for_downloads(monkeypatch) as hub:
        hub.add(REPO, FILE, DATA)
        yield hub


def spec(**changes: object) -> ModelSpec:
    base = ModelSpec(id="tiny", name="Tiny", source=HfSource(repo=REPO, filename=FILE), filename=FILE)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def service(tmp_path: Path, model: ModelSpec, events: list[FetchProgress] | None = None) -> ModelStore:
    return ModelStore(
        InMemoryCatalog(model),
        LocalModelFiles(tmp_path / "models"),
        {"hf": HfModelSource()},
        progress=events.append if events is not None else lambda _: None,
    )


def test_full_download_is_verified_against_hub_metadata(tmp_path: Path, hub: Hub) -> None:
    events: list[FetchProgress] = []
    path = service(tmp_path, spec(), events).locate("tiny")
    assert path.read_bytes() == DATA
    downloads = [e for e in events if e.phase == "download"]
    assert downloads and downloads[-1].done == len(DATA) and downloads[-1].total == len(DATA)
    assert HfModelSource().describe(spec()).size_bytes == len(DATA)
    gets = sum(1 for method, *_ in hub.requests if method == "GET" and FILE in _[0])
    assert service(tmp_path, spec()).locate("tiny") == path  # verified copy: no new request
    assert sum(1 for method, *_ in hub.requests if method == "GET" and FILE in _[0]) == gets


def test_cut_connection_is_resumed_with_a_range_request(tmp_path: Path, hub: Hub) -> None:
    hub.cut_after = 150_000
    path = service(tmp_path, spec()).locate("tiny")
    assert path.read_bytes() == DATA
    ranges = [r for method, p, r in hub.requests if method == "GET" and r]
    assert ranges and int(ranges[0].split("=")[1].rstrip("-")) > 0


def test_interrupted_download_resumes_on_the_next_attempt(tmp_path: Path, hub: Hub) -> None:
    def interrupt(event: FetchProgress) -> None:
        if event.phase == "download" and event.done > 100_000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ModelStore(
            InMemoryCatalog(spec()), LocalModelFiles(tmp_path / "models"), {"hf": HfModelSource()}, progress=interrupt
        ).locate("tiny")
    assert not (tmp_path / "models" / FILE).exists()  # never a partial model in place
    partial = tmp_path / "models" / ".downloads" / "tiny"
    assert sum(p.stat().st_size for p in partial.rglob("*") if p.is_file()) > 0
    hub.requests.clear()
    assert service(tmp_path, spec()).locate("tiny").read_bytes() == DATA
    ranges = [r for method, p, r in hub.requests if method == "GET" and r]
    assert ranges and int(ranges[0].split("=")[1].rstrip("-")) >= 100_000


def test_sha256_mismatch_installs_nothing(tmp_path: Path, hub: Hub) -> None:
    with pytest.raises(ModelCorrupt, match="sha256"):
        service(tmp_path, spec(sha256="f" * 64)).locate("tiny")
    assert not (tmp_path / "models" / FILE).exists()


def test_hub_sha256_is_checked_when_the_catalog_has_none(tmp_path: Path, hub: Hub) -> None:
    hub.etag_override[(REPO, FILE)] = "e" * 64
    with pytest.raises(ModelCorrupt):
        service(tmp_path, spec()).locate("tiny")
    assert not (tmp_path / "models" / FILE).exists()


def test_not_enough_disk_is_a_clear_error(tmp_path: Path, hub: Hub) -> None:
    hub.size_override[(REPO, FILE)] = 10**16  # the hub says the file is 10 PB
    with pytest.raises(InsufficientResources, match=r"needs about .* of free disk but only .* is free"):
        service(tmp_path, spec()).locate("tiny")
    assert not any(method == "GET" and FILE in p for method, p, _ in hub.requests)


def test_gated_repository_needs_credentials(tmp_path: Path, hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    hub.gated.add(REPO)
    with pytest.raises(MissingCredentials, match="HF_TOKEN"):
        service(tmp_path, spec()).locate("tiny")
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    assert service(tmp_path, spec()).locate("tiny").read_bytes() == DATA


def test_missing_repository_and_file(tmp_path: Path, hub: Hub) -> None:
    with pytest.raises(ModelNotFound, match="repository"):
        service(tmp_path, spec(source=HfSource(repo="org/nope", filename=FILE))).locate("tiny")
    with pytest.raises(ModelNotFound, match="no file"):
        service(tmp_path, spec(source=HfSource(repo=REPO, filename="other.gguf"), filename="other.gguf")).locate("tiny")


def test_a_resumed_download_needs_room_only_for_what_is_left(
    tmp_path: Path, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chi_llm.adapters.models.files import LocalModelFiles

    interrupted_at(tmp_path, len(DATA) * 3 // 4)  # three quarters are already here
    monkeypatch.setattr(LocalModelFiles, "free_bytes", lambda self: len(DATA) // 2)
    assert service(tmp_path, spec()).locate("tiny").read_bytes() == DATA
    other = tmp_path / "again"
    with pytest.raises(InsufficientResources):
        service(other, spec()).locate("tiny")  # nothing downloaded yet: the whole file must fit


NEW = b"GGUF" + bytes((i * 17 + 3) % 256 for i in range(400_000))  # the same size, other bytes


def interrupted_at(tmp_path: Path, done: int) -> None:
    """A download stopped (Ctrl-C) after `done` bytes, its partial file left for the next run."""

    def interrupt(event: FetchProgress) -> None:
        if event.phase == "download" and event.done > done:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ModelStore(
            InMemoryCatalog(spec()), LocalModelFiles(tmp_path / "models"), {"hf": HfModelSource()}, progress=interrupt
        ).locate("tiny")


def gets_of(hub: Hub) -> list[str | None]:
    """The Range of every GET of the model file, in order."""
    return [r for method, p, r in hub.requests if method == "GET" and p.endswith(FILE)]


@pytest.mark.parametrize("style", ["git", "weak"])
def test_a_file_changed_upstream_mid_download_is_never_spliced(tmp_path: Path, hub: Hub, style: str) -> None:
    """The campaign's case: cut at 150 kB, the file replaced upstream (an ETag that is no
    sha256), the retry must not append the new file's tail to the old file's head."""
    hub.etag_style[(REPO, FILE)] = style
    hub.cut_after = 150_000
    hub.changes_after_cut[(REPO, FILE)] = NEW
    path = service(tmp_path, spec()).locate("tiny")
    assert path.read_bytes() == NEW
    assert LocalModelFiles(tmp_path / "models").verify(spec()) is None
    if style == "git":  # asked on the ETag recorded at the start, answered 200: from byte 0
        assert hub.if_ranges == [f'"{_git_oid(DATA)}"'] and gets_of(hub)[-1] is not None
    else:  # a weak ETag is never sent: no range asked at all
        assert hub.if_ranges == [] and gets_of(hub) == [None, None]


def test_a_file_the_hub_says_changed_between_runs_starts_over(tmp_path: Path, hub: Hub) -> None:
    hub.etag_style[(REPO, FILE)] = "git"
    interrupted_at(tmp_path, 100_000)
    hub.files[(REPO, FILE)] = NEW
    hub.requests.clear()
    assert service(tmp_path, spec()).locate("tiny").read_bytes() == NEW
    assert gets_of(hub) == [None]  # its metadata names another version than the recorded one: no range


def test_an_unchanged_file_resumes_with_if_range_on_its_recorded_etag(tmp_path: Path, hub: Hub) -> None:
    hub.etag_style[(REPO, FILE)] = "git"
    interrupted_at(tmp_path, 100_000)
    hub.requests.clear()
    assert service(tmp_path, spec()).locate("tiny").read_bytes() == DATA
    ranges = gets_of(hub)
    assert len(ranges) == 1 and ranges[0] is not None and int(ranges[0].split("=")[1].rstrip("-")) >= 100_000
    assert hub.if_ranges == [f'"{_git_oid(DATA)}"']


def test_a_weak_etag_is_never_used_to_resume(tmp_path: Path, hub: Hub) -> None:
    """A weak validator cannot say the bytes are the same: without a sha256 the download starts over."""
    hub.etag_style[(REPO, FILE)] = "weak"
    interrupted_at(tmp_path, 100_000)
    hub.requests.clear()
    assert service(tmp_path, spec()).locate("tiny").read_bytes() == DATA
    assert gets_of(hub) == [None]


def test_an_lfs_file_changed_between_runs_is_fetched_whole_and_checked(tmp_path: Path, hub: Hub) -> None:
    interrupted_at(tmp_path, 100_000)
    hub.files[(REPO, FILE)] = NEW
    hub.requests.clear()
    assert service(tmp_path, spec()).locate("tiny").read_bytes() == NEW
    assert not any(r and int(r.split("=")[1].rstrip("-")) > 0 for r in gets_of(hub)[1:])


def test_a_server_that_ignores_if_range_cannot_splice_either(tmp_path: Path, hub: Hub) -> None:
    """An old server serves the range whatever If-Range says; its new ETag gives the change away."""
    hub.etag_style[(REPO, FILE)] = "git"
    hub.ignore_if_range = True
    hub.cut_after = 150_000
    hub.changes_after_cut[(REPO, FILE)] = NEW
    assert service(tmp_path, spec()).locate("tiny").read_bytes() == NEW


@pytest.mark.parametrize("record", [None, "not json", "[1]", '{"etag": 5, "identity": null, "size": 400004}'])
def test_a_partial_file_without_a_recorded_validator_starts_over(tmp_path: Path, hub: Hub, record: str | None) -> None:
    part = tmp_path / "models" / ".downloads" / "tiny" / f"{FILE}.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"X" * 200_000)  # left by an older version, or by anything else
    if record is not None:
        part.with_name(part.name + ".validator").write_text(record)
    assert service(tmp_path, spec()).locate("tiny").read_bytes() == DATA
    assert gets_of(hub) == [None]


def test_a_digest_that_differs_from_the_hubs_sha256_deletes_the_download(tmp_path: Path, hub: Hub) -> None:
    hub.etag_override[(REPO, FILE)] = "e" * 64  # the hub's LFS sha256 is not the served bytes'
    with pytest.raises(ModelCorrupt, match=r"expected e{64}.*deleted"):
        service(tmp_path, spec()).locate("tiny")
    models = tmp_path / "models"
    assert not (models / FILE).exists()
    assert not [p for p in models.rglob("*") if p.is_file()]  # nothing left to resume a bad file from


def _git_oid(data: bytes) -> str:
    import hashlib

    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324 - git's id
