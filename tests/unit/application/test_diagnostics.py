"""DiagnosticsService through the composition root: real config files, real HTTP adapters against
loopback sockets (closed, silent), a real model store; fakes only for the machine and the build."""

from __future__ import annotations

import hashlib
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chi_llm.adapters.fake import FixedEngineInfo, FixedFeatures, FixedSystemProbe, InMemoryCatalog
from chi_llm.application.diagnostics.runner import Job, run_jobs
from chi_llm.domain.cpu_load import CpuLoad
from chi_llm.domain.diagnostics import Check, DiagnosticReport, EngineReport, Feature
from chi_llm.domain.hardware import GIB, Gpu, Hardware
from chi_llm.domain.models.ports import ModelCatalog
from chi_llm.domain.models.spec import HfSource, ModelSpec
from chi_llm.domain.ports import EngineInfo, SystemProbe
from chi_llm.entrypoints.wiring import diagnose, wire
from tests.support.cli import closed_port

MACHINE = Hardware(
    total_ram=16 * GIB, available_ram=12 * GIB, physical_cores=4, logical_cores=8, cpu_features=("avx2",)
)
DATA = b"GGUF" + bytes(range(256)) * 64
SPEC = ModelSpec(
    id="tiny",
    name="Tiny",
    source=HfSource(repo="o/r", filename="tiny.gguf"),
    filename="tiny.gguf",
    size_bytes=len(DATA),
    sha256=hashlib.sha256(DATA).hexdigest(),
)


def report(
    env: dict[str, str] | None = None,
    *,
    probe: SystemProbe | None = None,
    engine_info: EngineInfo | None = None,
    catalog: ModelCatalog | None = None,
) -> DiagnosticReport:
    import os

    rag = Feature(name="rag", installed=False, found={"lancedb": None}, install="pip install 'chi-llm[rag]'")
    container = wire(env={**os.environ, **(env or {})})
    container.probe.override(probe or FixedSystemProbe(MACHINE))
    container.engine_info.override(engine_info or FixedEngineInfo())
    container.features.override(FixedFeatures([rag]))
    if catalog is not None:
        container.catalog.override(catalog)
    return container.diagnostics().run()


def providers(*profiles: dict[str, Any]) -> dict[str, str]:
    return {"CHI_LLM_CONFIG": json.dumps({"providers": list(profiles)})}


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and never answers (a blackholed server)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield int(server.getsockname()[1])


def test_a_default_setup_reports_every_area() -> None:
    done = report()
    assert {c.area for c in done.checks} == {"system", "llama_cpp", "models", "config", "providers", "features"}
    for check_id in ("system.python", "system.memory", "llama_cpp.build", "models.dir", "config.files"):
        assert done.find(check_id).status == "ok"
    current = done.find("models.current")  # nothing downloaded in a fresh home
    assert current.status == "warn" and "chi-llm models download" in (current.fix or "")
    assert done.ok and done.find("providers.local").value["in_process"] is True
    rag = done.find("features.rag")
    assert rag.status == "skip" and "chi-llm[rag]" in (rag.fix or "")


def test_a_provider_on_a_closed_port_fails_with_a_fix() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    done = report(providers({"id": "home", "type": "ollama", "settings": {"base_url": url}}))
    check = done.find("providers.home")
    assert check.status == "fail" and check.value["reachable"] is False and url in (check.fix or "")
    assert not done.ok


def test_a_silent_server_cannot_stall_the_report(silent_port: int) -> None:
    url = f"http://127.0.0.1:{silent_port}/v1"
    settings = {"base_url": url, "read_timeout": 300, "connect_timeout": 60, "api_key": "k"}
    started = time.monotonic()
    done = report(providers({"id": "box", "type": "openai", "settings": settings}))
    assert time.monotonic() - started < 10  # a hang guard (profile timeouts are minutes), not a benchmark
    assert done.find("providers.box").status == "fail"


def test_api_keys_are_reported_as_present_or_absent_never_shown() -> None:
    profile = {"id": "cloud", "type": "openai", "settings": {"base_url": f"http://127.0.0.1:{closed_port()}/v1"}}
    missing = report({**providers(profile), "OPENAI_API_KEY": ""}).find("providers.cloud")
    assert missing.status == "fail" and "OPENAI_API_KEY" in (missing.fix or "")
    assert missing.value["api_key_set"] is False
    done = report({**providers(profile), "OPENAI_API_KEY": "sk-secret-123"})
    assert done.find("providers.cloud").value["api_key_set"] is True
    assert "sk-secret-123" not in json.dumps(done.to_json())


def test_a_model_the_server_does_not_serve_is_a_warning(tmp_path: Path) -> None:
    from chi_llm.adapters.fake import FakeTextGenerator
    from tests.support.servers.base import Server, serve
    from tests.support.servers.openai import OpenAIHandler

    with serve(OpenAIHandler, Server(engine=FakeTextGenerator(["hi"], models=("m1", "m2")))) as server:
        profile = {"id": "srv", "type": "openai", "settings": {"base_url": server.url + "/v1", "api_key": "k"}}
        served = report(providers(profile)).find("providers.srv")
        assert served.status == "ok" and served.value["models"] and served.value["latency_ms"] is not None
        profile["settings"]["model"] = "no-such-model"  # type: ignore[index]
        missing = report(providers(profile)).find("providers.srv")
    assert (
        missing.status == "warn" and missing.value["model_served"] is False and "no-such-model" in (missing.fix or "")
    )


def test_a_broken_configuration_fails_its_check_and_the_rest_still_run(isolated: Path) -> None:
    (isolated / ".chi_llm.json").write_text('{"context": "lots"')
    done = diagnose()
    config = done.find("config.files")
    assert config.status == "fail" and ".chi_llm.json" in str(config.value) and config.fix
    assert done.find("system.python").status == "ok" and done.find("models.dir").status == "ok"


def test_downloaded_models_are_checked_without_hashing_them_whole(isolated: Path) -> None:
    import os

    from chi_llm.adapters.models.files import LocalModelFiles

    files = LocalModelFiles(Path(os.environ["CHI_LLM_HOME"]) / "models")
    partial = files.partial_path(SPEC)
    partial.write_bytes(DATA)
    placed = files.place(SPEC, partial)
    catalog = InMemoryCatalog(SPEC)
    assert report(catalog=catalog).find("models.tiny").status == "ok"
    placed.write_bytes(DATA[:-10])
    check = report(catalog=catalog).find("models.tiny")
    assert check.status == "fail" and "chi-llm models verify tiny" in (check.fix or "")


def test_fit_is_judged_at_the_configured_context() -> None:
    small = FixedSystemProbe(
        Hardware(total_ram=2 * GIB, available_ram=GIB * 7 // 10, physical_cores=2, logical_cores=2)
    )
    roomy = report({"CHI_LLM_CONTEXT": "512"}, probe=small).find("models.current")
    assert roomy.value["fits"] is True and roomy.value["context"] == 512
    tight = report({"CHI_LLM_CONTEXT": "8192"}, probe=small).find("models.current")
    assert tight.value["fits"] is False and tight.value["context"] == 8192
    assert tight.status == "warn" and "recommend" in (tight.fix or "")


def test_the_current_model_reports_the_requests_it_decodes_together() -> None:
    small = FixedSystemProbe(  # ~118 MiB beside the default model: 10 KV caches of 512 tokens, 1 of 4096
        Hardware(total_ram=2 * GIB, available_ram=GIB * 7 // 10, physical_cores=2, logical_cores=2)
    )
    auto = report({"CHI_LLM_CONTEXT": "512"}, probe=small).find("models.current")
    assert auto.status in ("ok", "warn") and auto.value["parallel"] == 4  # the default, room for more
    assert report({"CHI_LLM_CONTEXT": "4096"}, probe=small).find("models.current").value["parallel"] == 1
    fixed = report({"CHI_LLM_CONTEXT": "512", "CHI_LLM_PARALLEL": "8"}, probe=small).find("models.current")
    assert fixed.value["parallel"] == 8 and "parallel" not in (fixed.fix or "")
    short = report({"CHI_LLM_CONTEXT": "4096", "CHI_LLM_PARALLEL": "4"}, probe=small).find("models.current")
    assert short.status == "warn" and short.value["parallel"] == 4
    assert "chi-llm config set parallel 1" in (short.fix or "")


def test_a_gpu_the_build_cannot_use_gets_the_reinstall_command() -> None:
    gpu = Gpu(kind="nvidia", name="RTX 4090", vram_total=24 * GIB, vram_free=20 * GIB)
    machine = Hardware(total_ram=64 * GIB, available_ram=60 * GIB, physical_cores=8, logical_cores=16, gpus=(gpu,))
    check = report(probe=FixedSystemProbe(machine)).find("llama_cpp.build")
    assert check.status == "warn" and "-DGGML_CUDA=on" in (check.fix or "")
    missing = FixedEngineInfo(EngineReport(installed=False, error="OSError: libllama.so: cannot open"))
    broken = report(engine_info=missing).find("llama_cpp.build")
    assert broken.status == "fail" and "libllama.so" in (broken.fix or "")


def test_jobs_run_concurrently_and_a_slow_or_broken_one_is_reported_in_its_place() -> None:
    def slow() -> list[Check]:
        time.sleep(5)
        return []

    def broken() -> list[Check]:
        raise RuntimeError("boom")

    def fine() -> list[Check]:
        return [Check(id="system.x", area="system", title="X", status="ok")]

    started = time.monotonic()
    checks = run_jobs(
        [
            Job(id="providers.slow", area="providers", title="Slow", run=slow, timeout=0.3, late="fail"),
            Job(id="system.broken", area="system", title="Broken", run=broken),
            Job(id="system.x", area="system", title="X", run=fine),
        ]
    )
    assert time.monotonic() - started < 4
    assert [(c.id, c.status) for c in checks] == [
        ("providers.slow", "fail"),
        ("system.broken", "fail"),
        ("system.x", "ok"),
    ]
    assert checks[0].value == {"timed_out_after_s": 0.3} and "boom" in str(checks[1].value)


def busy_probe(others: float) -> FixedSystemProbe:
    return FixedSystemProbe(MACHINE, CpuLoad(cores=8, others=others, sample_s=0.5, runnable=3, load_1m=1.2))


def test_a_cpu_kept_busy_by_other_processes_is_a_warning_that_says_what_to_do() -> None:
    check = report(probe=busy_probe(1.04)).find("system.cpu_load")
    assert check.status == "warn" and check.value["contended"] is True
    assert check.value["other_processes_cores"] == 1.04 and check.value["runnable"] == 3
    assert "1.0 of 8 cores" in (check.fix or "") and "fewer threads" in (check.fix or "")
    fixed = report({"CHI_LLM_CONFIG": json.dumps({"threads": 4})}, probe=busy_probe(1.04)).find("system.cpu_load")
    assert "chi-llm config unset threads" in (fixed.fix or "")


def test_an_idle_cpu_is_ok_and_an_unmeasurable_one_skipped() -> None:
    calm = report(probe=busy_probe(0.1)).find("system.cpu_load")
    assert calm.status == "ok" and calm.value["contended"] is False and calm.fix is None

    class Unmeasured(FixedSystemProbe):
        def cpu_load(self, seconds: float) -> CpuLoad | None:
            return None

    assert report(probe=Unmeasured(MACHINE)).find("system.cpu_load").status == "skip"
