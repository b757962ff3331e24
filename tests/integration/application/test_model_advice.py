"""Admission refuses models that will not fit (the real model's file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chi_llm.domain.errors import InsufficientResources
from chi_llm.domain.hardware import GIB, Hardware
from tests.support.advice import LAPTOP, advisor


def test_admission_refuses_what_does_not_fit(default_model_path: Path, tmp_path: Path) -> None:
    tiny_machine = Hardware(total_ram=1 * GIB, available_ram=300 * 1024**2, physical_cores=1, logical_cores=1)
    with pytest.raises(InsufficientResources) as error:
        advisor(tiny_machine, tmp_path).admit(default_model_path, 8192)
    assert "GiB at context 8192" in str(error.value) and "allow_oversize" in str(error.value)
    advisor(tiny_machine, tmp_path, allow_oversize=True).admit(default_model_path, 8192)
    advisor(LAPTOP, tmp_path).admit(default_model_path, 8192)
