"""A model advisor on a described machine (no real hardware probed), and a laptop to describe."""

from __future__ import annotations

from pathlib import Path

from chi_llm.adapters.fake import FixedSystemProbe
from chi_llm.adapters.models.catalog import YamlModelCatalog
from chi_llm.adapters.models.files import LocalModelFiles
from chi_llm.adapters.models.gguf import GgufInspector
from chi_llm.application.models.advice import ModelAdvisor
from chi_llm.application.models.store import ModelStore
from chi_llm.domain.hardware import GIB, Hardware

LAPTOP = Hardware(total_ram=16 * GIB, available_ram=10 * GIB, physical_cores=8, logical_cores=16)


def advisor(hardware: Hardware, tmp_path: Path, allow_oversize: bool = False) -> ModelAdvisor:
    models = ModelStore(YamlModelCatalog(env={}), LocalModelFiles(tmp_path / "models"), {})
    return ModelAdvisor(models, FixedSystemProbe(hardware), GgufInspector(), allow_oversize=allow_oversize)
