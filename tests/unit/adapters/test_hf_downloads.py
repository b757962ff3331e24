"""Hugging Face downloads through huggingface-hub against a local hub server (HF_ENDPOINT)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from chi_llm.adapters.fake import InMemoryCatalog
from chi_llm.adapters.hf_source import HfModelSource
from chi_llm.adapters.model_files import LocalModelFiles
from chi_llm.application.model_store import ModelStore
from chi_llm.domain.errors import InsufficientResources, MissingCredentials, ModelCorrupt, ModelNotFound
from chi_llm.domain.model_spec import FetchProgress, HfSource, ModelSpec
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
    from chi_llm.adapters.model_files import LocalModelFiles

    monkeypatch.setattr(LocalModelFiles, "free_bytes", lambda self: len(DATA) // 2)
    with pytest.raises(InsufficientResources):
        service(tmp_path, spec()).locate("tiny")  # nothing downloaded yet: the whole file must fit
    part = tmp_path / "models" / ".downloads" / "tiny" / f"{FILE}.part"
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(DATA[: len(DATA) * 3 // 4])  # three quarters are already here
    assert service(tmp_path, spec()).locate("tiny").read_bytes() == DATA
