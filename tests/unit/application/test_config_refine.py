"""Refining resolved settings with arguments gives what resolving with them would, without
reading any file or the environment again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chi_llm.adapters.config_files import FileConfigStore
from chi_llm.domain.errors import ConfigError, ModelNotFound
from tests.support.calls import counting
from tests.support.config import service, write

ARGUMENTS = st.fixed_dictionaries(
    {},
    optional={
        "model": st.sampled_from(["smollm2-135m", "other-model", None]),
        "context": st.one_of(st.none(), st.integers(min_value=16, max_value=100_000)),
        "max_tokens": st.one_of(st.none(), st.integers(min_value=1, max_value=4096)),
        "system": st.one_of(st.none(), st.text(min_size=1, max_size=20).filter(str.strip)),
    },
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=ARGUMENTS, then=ARGUMENTS)
def test_refining_is_resolving_with_the_arguments_on_top(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: dict[str, Any], then: dict[str, Any]
) -> None:
    write(tmp_path / ".chi_llm.yaml", {"context": 2048, "max_tokens": 64, "system": "from the project"})
    config = service(tmp_path, {"CHI_LLM_TEMPERATURE": "0.3"})
    resolved = config.resolve(first)
    reads = counting(monkeypatch, FileConfigStore, "read")
    refined = config.refine(resolved, then)
    monkeypatch.undo()
    on_top = {**first, **{k: v for k, v in then.items() if v is not None}}
    assert refined.explain() == config.resolve(on_top).explain()
    assert reads == []


def test_a_model_given_is_checked_as_resolving_checks_it(tmp_path: Path) -> None:
    config = service(tmp_path)
    resolved = config.resolve()
    with pytest.raises(ModelNotFound, match="unknown model id 'nope'"):
        config.refine(resolved, {"model": "nope"})
    assert config.refine(resolved, {"model": "nope"}, check_model=False)["model"] == "nope"
    with pytest.raises(ConfigError, match="context"):
        config.refine(resolved, {"context": "big"})
