"""The provider registry: every type loads and describes itself; an unknown type imports nothing."""

from __future__ import annotations

import pytest

from chi_llm.adapters.providers.registry import PROVIDER_MODULES, PROVIDER_TYPES, schemas
from chi_llm.domain.providers import check_profile


@pytest.mark.parametrize("name", list(PROVIDER_MODULES))
def test_each_type_names_itself_and_validates_its_defaults(name: str) -> None:
    kind = PROVIDER_TYPES[name]
    assert kind.name == name and kind.schema.summary
    names = [f.name for f in kind.schema.fields]
    assert len(names) == len(set(names))
    profile = check_profile({"id": "x", "type": name, **kind.schema.defaults()}, schemas(), source="test")
    assert profile.type == name and profile.secrets == kind.schema.secrets


def test_unknown_types_are_refused_without_importing_anything() -> None:
    assert "warp" not in schemas() and "warp" not in PROVIDER_TYPES
    with pytest.raises(KeyError):
        PROVIDER_TYPES["warp"]
