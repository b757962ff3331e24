"""Contracts of EngineInfo and FeatureProbe, run against every adapter (the shipped fakes included)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chi_llm.adapters.fake import FixedEngineInfo, FixedFeatures
from chi_llm.adapters.features import InstalledFeatures
from chi_llm.adapters.llama_cpp.engine_info import LlamaCppEngineInfo
from chi_llm.domain.diagnostics import EngineReport, Feature
from chi_llm.domain.ports import EngineInfo, FeatureProbe

ENGINES: dict[str, Callable[[], EngineInfo]] = {
    "llama_cpp": LlamaCppEngineInfo,
    "fixed": FixedEngineInfo,
    "fixed_missing": lambda: FixedEngineInfo(EngineReport(installed=False, error="ImportError: no llama_cpp")),
}


@pytest.fixture(params=list(ENGINES), ids=list(ENGINES))
def engine(request: pytest.FixtureRequest) -> EngineInfo:
    return ENGINES[request.param]()


def test_engine_report_names_its_build_or_why_it_has_none(engine: EngineInfo) -> None:
    report = engine.report()
    if report.installed:
        assert report.version and report.error is None and report.system_info
    else:
        assert report.error and not report.gpu_offload


def test_the_real_engine_reports_its_cpu_features() -> None:
    import llama_cpp

    report = LlamaCppEngineInfo().report()
    assert report.version == llama_cpp.__version__ and "CPU" in report.system_info
    assert report.gpu_offload == bool(llama_cpp.llama_supports_gpu_offload())


FEATURES: dict[str, Callable[[], FeatureProbe]] = {
    "installed": InstalledFeatures,
    "installed_nothing": lambda: InstalledFeatures(version=lambda _: None, program=lambda _: None),
    "fixed": lambda: FixedFeatures(
        [
            Feature(name="rag", installed=True, found={"lancedb": "1", "fastembed": "1"}, install="pip x"),
            Feature(name="tui", installed=False, found={"chi-tui": None}, install="cargo x"),
            Feature(name="mcp", installed=True, found={"mcp": "2"}, install="pip y"),
        ]
    ),
}


@pytest.fixture(params=list(FEATURES), ids=list(FEATURES))
def features(request: pytest.FixtureRequest) -> FeatureProbe:
    return FEATURES[request.param]()


def test_features_say_what_was_found_and_how_to_install(features: FeatureProbe) -> None:
    listed = features.features()
    assert {f.name for f in listed} == {"rag", "tui", "mcp"}
    for feature in listed:
        assert feature.install and feature.installed == all(feature.found.values())


def test_installed_features_use_metadata_and_path_not_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    for name in ("lancedb", "fastembed"):  # an earlier test may have imported them: this one must not
        monkeypatch.delitem(sys.modules, name, raising=False)
    versions = {"lancedb": "0.1", "fastembed": None, "mcp": "2.3.0"}
    probe = InstalledFeatures(version=versions.get, program=lambda name: f"/bin/{name}")
    rag, tui, mcp = probe.features()
    assert not rag.installed and rag.found == {"lancedb": "0.1", "fastembed": None}
    assert tui.installed and tui.found == {"chi-tui": "/bin/chi-tui"}
    assert mcp.installed and mcp.found == {"mcp": "2.3.0"} and "chi-llm[mcp]" in mcp.install
    assert "lancedb" not in sys.modules and "fastembed" not in sys.modules
