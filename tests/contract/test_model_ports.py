"""ModelCatalog and ModelSource contracts, run against every adapter of each port."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chi_llm.adapters.fake import InMemoryCatalog
from chi_llm.adapters.models.catalog import YamlModelCatalog
from chi_llm.adapters.models.hf_source import HfModelSource
from chi_llm.adapters.models.wheel_source import WheelModelSource
from chi_llm.domain.errors import ModelFetchFailed, ModelNotFound
from chi_llm.domain.legacy import LEGACY_MODEL_IDS
from chi_llm.domain.models.spec import HfSource, ModelSpec, RemoteFile
from chi_llm.domain.ports import ModelCatalog, ModelSource
from tests.support.hub_server import running_hub
from tests.support.wheels import build_wheel, serve_locally

# -- ModelCatalog ------------------------------------------------------------------------------


def _packaged(tmp: Path) -> ModelCatalog:
    return YamlModelCatalog(env={})


def _overlaid(tmp: Path) -> ModelCatalog:
    user = tmp / "mine.yaml"
    user.write_text(
        "models:\n  - id: mine\n    source: hf:me/Mine-GGUF/mine.gguf\n  - id: qwen2.5-0.5b\n"
        "    default_context: 2048\n"
    )
    return YamlModelCatalog(
        env={"CHI_LLM_MODELS_YAML": str(user)}, config_entries=[{"id": "local-one", "path": str(tmp / "x.gguf")}]
    )


def _in_memory(tmp: Path) -> ModelCatalog:
    first = ModelSpec(id="a", name="A", source=HfSource(repo="o/r", filename="a.gguf"), filename="a.gguf")
    second = ModelSpec(id="gemma-3-270m", name="B", source=HfSource(repo="o/r", filename="b.gguf"), filename="b.gguf")
    return InMemoryCatalog(first, second)


CATALOGS: dict[str, Callable[[Path], ModelCatalog]] = {
    "packaged": _packaged,
    "overlaid": _overlaid,
    "in_memory": _in_memory,
}


@pytest.fixture(params=list(CATALOGS), ids=list(CATALOGS))
def catalog(request: pytest.FixtureRequest, tmp_path: Path) -> ModelCatalog:
    return CATALOGS[request.param](tmp_path)


def test_catalog_ids_are_unique_and_include_the_default(catalog: ModelCatalog) -> None:
    ids = [spec.id for spec in catalog.all()]
    assert len(ids) == len(set(ids)) and catalog.default_id in ids


def test_catalog_get_returns_every_listed_spec(catalog: ModelCatalog) -> None:
    for spec in catalog.all():
        assert catalog.get(spec.id) == spec


def test_catalog_reads_chi_llm_2_ids_as_their_nearest_entry(catalog: ModelCatalog) -> None:
    ids = {spec.id for spec in catalog.all()}
    mapped = {old: new for old, new in LEGACY_MODEL_IDS.items() if new in ids and old not in ids}
    assert mapped, "every catalog here holds at least one target of a chi_llm 2.x id"
    for old, new in mapped.items():
        assert catalog.get(old).id == new


def test_catalog_unknown_id_names_the_known_ones(catalog: ModelCatalog) -> None:
    with pytest.raises(ModelNotFound) as error:
        catalog.get("no-such-model")
    assert catalog.default_id in str(error.value)


def test_catalog_check_passes_itself_and_reports_bad_files(catalog: ModelCatalog, tmp_path: Path) -> None:
    own = catalog.check()
    assert own.ok and own.errors == () and own.models >= 1
    bad = tmp_path / "bad.yaml"
    bad.write_text("models:\n  - id: x\n    source: hf:o/r/x.gguf\n    sha256: nothex\n")
    report = catalog.check(bad)
    assert not report.ok and report.path == str(bad) and any(e.startswith("x:") for e in report.errors)
    unreadable = catalog.check(tmp_path / "missing.yaml")
    assert not unreadable.ok and "cannot read" in unreadable.errors[0]


def test_overlay_adds_and_overrides(tmp_path: Path) -> None:
    merged = _overlaid(tmp_path)
    assert merged.get("mine").filename == "mine.gguf"
    assert merged.get("qwen2.5-0.5b").default_context == 2048
    assert merged.get("qwen2.5-0.5b").context_length == 32768  # untouched fields survive
    assert merged.get("local-one").source.scheme == "local"


# -- ModelSource -------------------------------------------------------------------------------


@dataclass
class SourceCase:
    source: ModelSource
    spec: ModelSpec
    payload: bytes
    missing: ModelSpec
    described: RemoteFile  # exactly what this source can tell before fetching
    foreign: ModelSpec  # a spec of another scheme, which this source must refuse


def _wheel_case(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SourceCase]:
    built = build_wheel(tmp / "index")
    serve_locally(monkeypatch, built.folder)
    from chi_llm.domain.models.spec import WheelSource

    missing = ModelSpec(
        id="gone",
        name="Gone",
        source=WheelSource(requirement="chi-test-model==9.9", member="x.gguf"),
        filename="x.gguf",
    )
    foreign = ModelSpec(id="h", name="H", source=HfSource(repo="o/r", filename="h.gguf"), filename="h.gguf")
    # The index cannot say how big a wheel member is without fetching it: the catalog's facts.
    described = RemoteFile(size_bytes=built.spec.size_bytes, sha256=built.spec.sha256)
    yield SourceCase(WheelModelSource(), built.spec, built.payload, missing, described, foreign)


def _hf_case(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SourceCase]:
    payload = b"GGUF" + bytes(range(256)) * 600
    with running_hub() as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.delenv("HF_TOKEN", raising=False)
        hub.add("org/A-GGUF", "a.gguf", payload)
        spec = ModelSpec(id="a", name="A", source=HfSource(repo="org/A-GGUF", filename="a.gguf"), filename="a.gguf")
        missing = ModelSpec(id="b", name="B", source=HfSource(repo="org/A-GGUF", filename="b.gguf"), filename="b.gguf")
        described = RemoteFile(size_bytes=len(payload), sha256=hashlib.sha256(payload).hexdigest())  # LFS metadata
        yield SourceCase(HfModelSource(), spec, payload, missing, described, missing_wheel_spec())


SOURCES = {"wheel": _wheel_case, "hf": _hf_case}


@pytest.fixture(params=list(SOURCES), ids=list(SOURCES))
def case(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SourceCase]:
    yield from SOURCES[request.param](tmp_path, monkeypatch)


def missing_wheel_spec() -> ModelSpec:
    from chi_llm.domain.models.spec import WheelSource

    wheel = WheelSource(requirement="chi-test-model==9.9", member="x.gguf")
    return ModelSpec(id="w", name="W", source=wheel, filename="x.gguf")


def test_source_refuses_specs_of_another_scheme(case: SourceCase, tmp_path: Path) -> None:
    assert case.foreign.source.scheme != case.source.scheme
    with pytest.raises(ModelFetchFailed, match="is not a"):
        case.source.fetch(case.foreign, tmp_path / ".partial", lambda _: None, tmp_path / ".resume")
    assert not (tmp_path / ".partial").exists()


def test_describe_reports_what_the_source_knows(case: SourceCase) -> None:
    assert case.source.describe(case.spec) == case.described


def test_fetch_writes_exactly_the_file_and_nothing_beside_it(case: SourceCase, tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    destination = store / ".partial"
    case.source.fetch(case.spec, destination, lambda _: None, store / ".resume")
    assert destination.read_bytes() == case.payload
    leftovers = [p for p in store.rglob("*") if p != destination]
    assert leftovers == []  # no temp files, and the resume folder is gone once done


def test_fetch_of_a_missing_file_fails_clearly(case: SourceCase, tmp_path: Path) -> None:
    destination = tmp_path / ".partial"
    with pytest.raises((ModelNotFound, ModelFetchFailed)):
        case.source.fetch(case.missing, destination, lambda _: None, tmp_path / ".resume")
    assert not destination.exists()
