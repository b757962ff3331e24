"""Fit rules and recommendations on described machines."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chi_llm.adapters.models.catalog import YamlModelCatalog
from chi_llm.domain.errors import InsufficientResources
from chi_llm.domain.hardware import GIB, Gpu, Hardware, fit_of, memory_needed
from tests.support.advice import LAPTOP, advisor

PI = Hardware(total_ram=2 * GIB, available_ram=1 * GIB, physical_cores=4, logical_cores=4)


TWO_CORES = Hardware(total_ram=24 * GIB, available_ram=23 * GIB, physical_cores=2, logical_cores=2)


GPU_BOX = Hardware(
    total_ram=64 * GIB,
    available_ram=60 * GIB,
    physical_cores=16,
    logical_cores=32,
    gpus=(Gpu(kind="nvidia", name="H100", vram_total=80 * GIB, vram_free=79 * GIB),),
    gpu_offload=True,
)


@given(weights=st.integers(1, 10**11), kv=st.integers(0, 10**6), ctx=st.integers(1, 262144))
def test_memory_grows_with_weights_and_context(weights: int, kv: int, ctx: int) -> None:
    needed = memory_needed(weights, kv, ctx)
    assert needed is not None and needed >= weights + kv * ctx
    assert memory_needed(weights, kv, ctx + 1) >= needed  # type: ignore[operator]


def test_recommendations_follow_the_machine(tmp_path: Path) -> None:
    big = advisor(GPU_BOX, tmp_path).recommend()
    laptop = advisor(LAPTOP, tmp_path).recommend()
    small = advisor(TWO_CORES, tmp_path).recommend()
    pi = advisor(PI, tmp_path).recommend()
    sizes = [r.spec.parameter_count for r in (big, laptop, small, pi)]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > sizes[-1]
    assert big.fit.fits and laptop.fit.fits and small.fit.fits
    assert "H100" in big.reason and "GPU offload available" in big.reason
    assert "speed budget" in small.reason and "2 physical cores" in small.reason
    assert big.spec.id != pi.spec.id


def test_recommend_by_tag(tmp_path: Path) -> None:
    coder = advisor(LAPTOP, tmp_path).recommend("coding")
    assert "coding" in coder.spec.tags
    with pytest.raises(InsufficientResources, match="no catalog model is tagged"):
        advisor(LAPTOP, tmp_path).recommend("no-such-tag")


def test_fit_uses_default_context_and_kv_cache(tmp_path: Path) -> None:
    spec = YamlModelCatalog(env={}).get("phi-3.5-mini")
    short, long = fit_of(spec, LAPTOP, 4096), fit_of(spec, LAPTOP, 131072)
    assert long.needed - short.needed == spec.kv_bytes_per_token * (131072 - 4096)  # type: ignore[operator]
    assert short.fits and not long.fits


def test_rows_filter_by_fit_and_tag(tmp_path: Path) -> None:
    rows = advisor(PI, tmp_path).rows("smollm2-135m", fits_only=True)
    assert rows and all(r.fit.fits for r in rows)
    assert any(r.current for r in rows)
    coding = advisor(PI, tmp_path).rows("x", tag="coding")
    assert coding and all("coding" in r.spec.tags for r in coding)
    every = advisor(PI, tmp_path).rows("x")
    assert len(rows) < len(every) and len(coding) < len(every)  # both filters removed something
