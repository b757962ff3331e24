"""`rag query` on a very small model names a larger one that fits the machine (the advisor's pick)."""

from __future__ import annotations

from pathlib import Path

from chi_llm.adapters.fake import FixedSystemProbe
from chi_llm.adapters.models.catalog import YamlModelCatalog
from chi_llm.adapters.models.files import LocalModelFiles
from chi_llm.adapters.models.gguf import GgufInspector
from chi_llm.application.models.advice import ModelAdvisor
from chi_llm.application.models.store import ModelStore
from chi_llm.application.rag.model_hint import larger_model_hint
from chi_llm.domain.hardware import GIB, Hardware

LAPTOP = Hardware(total_ram=16 * GIB, available_ram=10 * GIB, physical_cores=8, logical_cores=16)
TINY = Hardware(total_ram=1 * GIB, available_ram=GIB // 4, physical_cores=1, logical_cores=1)


def advisor(hardware: Hardware, tmp_path: Path) -> ModelAdvisor:
    models = ModelStore(YamlModelCatalog(env={}), LocalModelFiles(tmp_path / "models"), {})
    return ModelAdvisor(models, FixedSystemProbe(hardware), GgufInspector())


def test_the_small_default_gets_a_hint_naming_what_fits(tmp_path: Path) -> None:
    laptop = advisor(LAPTOP, tmp_path)
    pick = laptop.recommend().spec.id
    hint = larger_model_hint(laptop, "smollm2-135m")
    assert hint is not None and "smollm2-135m (135M parameters)" in hint and "far better" in hint
    assert f"`chi-llm models download {pick}`, then `chi-llm models set {pick}`" in hint


def test_no_hint_for_a_capable_model_an_unknown_one_or_when_nothing_larger_fits(tmp_path: Path) -> None:
    laptop = advisor(LAPTOP, tmp_path)
    assert larger_model_hint(laptop, "qwen2.5-1.5b") is None
    assert larger_model_hint(laptop, "/models/mine.gguf") is None and larger_model_hint(laptop, None) is None
    tiny = advisor(TINY, tmp_path)
    assert tiny.recommend().spec.parameter_count <= 135e6  # the premise: only the smallest fits
    assert larger_model_hint(tiny, "smollm2-135m") is None
