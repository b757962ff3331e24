"""Each catalog entry says whether its model's chat template renders tools (`tools`), and
`chi-llm models info` / `models list --json` show it; false still calls tools (the generic format)."""

from __future__ import annotations

import json

import pytest

from chi_llm.adapters.models.catalog import YamlModelCatalog, spec_from_entry
from chi_llm.domain.errors import ConfigError
from tests.support.cli import out, run


def test_every_packaged_entry_says_whether_its_template_renders_tools() -> None:
    specs = {spec.id: spec.tools for spec in YamlModelCatalog(env={}).all()}
    assert all(isinstance(value, bool) for value in specs.values()), specs
    assert {k: specs[k] for k in ("qwen2.5-0.5b", "qwen3-0.6b", "llama-3.1-8b", "mistral-7b-v0.3")} == dict.fromkeys(
        ("qwen2.5-0.5b", "qwen3-0.6b", "llama-3.1-8b", "mistral-7b-v0.3"), True
    )
    assert not any(specs[k] for k in ("smollm2-135m", "gemma-2-2b", "phi-3.5-mini", "gemma-3-1b"))


def test_models_info_and_list_show_it() -> None:
    assert json.loads(out(run("models", "info", "qwen2.5-0.5b", "--json")))["tools"] is True
    assert "tools: False" in out(run("models", "info", "smollm2-135m"))
    rows = {row["id"]: row for row in json.loads(out(run("models", "list", "--json")))}
    assert rows["llama-3.2-1b"]["tools"] is True and rows["smollm2-135m"]["tools"] is False


def test_a_user_entry_may_leave_it_out_but_not_misspell_it() -> None:
    entry = {"id": "mine", "source": "hf:o/r/m.gguf"}
    assert spec_from_entry(entry, where="test").tools is None
    assert spec_from_entry({**entry, "tools": True}, where="test").tools is True
    with pytest.raises(ConfigError, match="tools must be true or false"):
        spec_from_entry({**entry, "tools": "yes"}, where="test")
