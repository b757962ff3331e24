"""A catalog model's recommended sampling as the catalog reads it (what the local backend does with
it, on the real model, is in tests/integration/adapters/test_sampling.py)."""

from __future__ import annotations

from typing import Any

import pytest

from chi_llm.adapters.models.catalog import YamlModelCatalog, spec_from_entry
from chi_llm.domain.errors import ConfigError
from chi_llm.domain.models.spec import Sampling

ENTRY = {"id": "m", "source": "hf:o/r/m.gguf"}


def test_a_catalog_entry_reads_its_sampling() -> None:
    spec = spec_from_entry({**ENTRY, "sampling": {"temperature": 0.3, "repeat_penalty": 1.2}}, where="t")
    assert spec.sampling == Sampling(temperature=0.3, repeat_penalty=1.2)
    assert spec_from_entry(ENTRY, where="t").sampling is None


@pytest.mark.parametrize("sampling", [{"temp": 0.3}, {"top_p": 3}, {"repeat_penalty": "x"}, [1]])
def test_bad_sampling_names_the_entry(sampling: Any) -> None:
    with pytest.raises(ConfigError, match="sampling") as error:
        spec_from_entry({**ENTRY, "sampling": sampling}, where="t")
    assert error.value.key == "m"


def test_the_default_model_has_a_repeat_penalty() -> None:
    catalog = YamlModelCatalog(env={})
    sampling = catalog.get(catalog.default_id).sampling
    assert sampling is not None and sampling.repeat_penalty > 1.0
