"""Choosing the file of a hub repository for this machine (a pure function of the listing and the
hardware), and reading hub references."""

from __future__ import annotations

from pathlib import Path

import pytest

from chi_llm.adapters.fake import FixedSystemProbe
from chi_llm.adapters.models.files import LocalModelFiles
from chi_llm.application.models.hub import HubModels, choose
from chi_llm.domain.errors import InsufficientResources, InvalidRequest
from chi_llm.domain.hardware import GIB, Gpu, Hardware
from chi_llm.domain.models.hub_refs import HubFile, parse_reference, stored_filename
from chi_llm.domain.ports import ModelHub

FILES = [
    HubFile(path="m-Q2_K.gguf", size_bytes=3 * GIB, sha256=None),
    HubFile(path="m-Q4_K_M.gguf", size_bytes=5 * GIB, sha256=None),
    HubFile(path="m-Q8_0.gguf", size_bytes=8 * GIB, sha256=None),
    HubFile(path="m-F16.gguf", size_bytes=15 * GIB, sha256=None),
]


def machine(ram_gib: float, cores: int = 16, gpu: bool = False) -> Hardware:
    gpus = (Gpu(kind="nvidia", name="card", vram_total=80 * GIB, vram_free=80 * GIB),) if gpu else ()
    ram = int(ram_gib * GIB)
    return Hardware(
        total_ram=ram, available_ram=ram, physical_cores=cores, logical_cores=cores, gpus=gpus, gpu_offload=gpu
    )


def test_the_largest_quantization_that_fits_memory_and_the_cpu_speed_budget() -> None:
    chosen, reason = choose(FILES, machine(64, cores=8), "hf:o/m")  # budget 6 GiB on 8 cores
    assert chosen.path == "m-Q4_K_M.gguf" and "speed budget" in reason and "Q4_K_M" in reason
    assert choose(FILES, machine(64, cores=16), "hf:o/m")[0].path == "m-Q8_0.gguf"  # F16 is passed over
    assert choose(FILES, machine(9, cores=16), "hf:o/m")[0].path == "m-Q4_K_M.gguf"  # memory decides


def test_a_gpu_lifts_the_cpu_budget_and_slow_choices_are_announced() -> None:
    assert choose(FILES, machine(64, cores=2, gpu=True), "hf:o/m")[0].path == "m-Q8_0.gguf"
    chosen, reason = choose(FILES, machine(64, cores=2), "hf:o/m")  # budget 1.5 GiB: nothing is quick
    assert chosen.path == "m-Q8_0.gguf" and "expect slow decoding" in reason


def test_full_precision_only_when_nothing_else_is_there_and_nothing_that_fits_is_refused() -> None:
    only = [FILES[-1]]
    assert choose(only, machine(64), "hf:o/m")[0].path == "m-F16.gguf"
    with pytest.raises(InsufficientResources, match=r"smallest, m-Q2_K\.gguf"):
        choose(FILES, machine(2), "hf:o/m")


def test_references_that_climb_out_or_are_not_gguf_are_refused() -> None:
    for bad in ("hf:o/m/../x.gguf", "hf:o/m/a//x.gguf", "hf:o/m/x.safetensors", "hf:../m", "hf:o/m/x.gguf@"):
        with pytest.raises(InvalidRequest):
            parse_reference(bad)
    ref = parse_reference("hf:o/m/sub/x-Q4_0.gguf@v2")
    assert (ref.repo, ref.path, ref.revision) == ("o/m", "sub/x-Q4_0.gguf", "v2") and str(
        ref
    ) == "hf:o/m/sub/x-Q4_0.gguf@v2"
    name = stored_filename(ref.source())
    assert (
        "/" not in name
        and name.endswith("--x-Q4_0.gguf")
        and name != stored_filename(parse_reference("hf:o/m/sub/x-Q4_0.gguf").source())
    )


class Hostile(ModelHub):
    """A hub listing paths outside the repository and sizes no file has."""

    def files(self, repo: str, revision: str) -> list[HubFile]:
        return [
            HubFile(path="../../escape-Q8_0.gguf", size_bytes=4 * GIB, sha256=None),
            HubFile(path="neg-Q8_0.gguf", size_bytes=-1, sha256=None),
            HubFile(path="m-Q4_K_M.gguf", size_bytes=1 * GIB, sha256=None),
        ]


def test_what_a_broken_hub_lists_outside_the_repository_is_passed_over(tmp_path: Path) -> None:
    hub = HubModels(LocalModelFiles(tmp_path / "models"), Hostile(), FixedSystemProbe(machine(64)))
    assert hub.resolve("hf:o/m").spec.id == "hf:o/m/m-Q4_K_M.gguf"
