"""`providers add` beside a one-provider `provider:` key in the same file: the provider that
answered before keeps answering first (it becomes a profile of the list), instead of being
silently overridden by the new `providers:` list."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.support.cli import closed_port, run


def test_adding_a_provider_keeps_the_single_provider_of_the_file(isolated: Path) -> None:
    single = {"type": "ollama", "base_url": f"http://127.0.0.1:{closed_port()}", "model": "llama3.2"}
    (isolated / ".chi_llm.yaml").write_text(yaml.safe_dump({"provider": single, "temperature": 0.3}))
    added = run("providers", "add", "home", "--type", "openai", "--set", "base_url=http://127.0.0.1:8/v1")
    assert added.exit_code == 0, added.stderr
    assert "provider: (ollama) is now the profile 'ollama'" in added.stdout + added.stderr
    written = yaml.safe_load((isolated / ".chi_llm.yaml").read_text())
    assert "provider" not in written and written["temperature"] == 0.3
    assert [p["id"] for p in written["providers"]] == ["ollama", "home"]
    assert written["default_provider"] == "ollama"  # it answered before; it still answers first
    listed = run("providers", "list").stdout
    assert listed.index("ollama") < listed.index("home") < listed.index("local")
    assert "llama3.2" in listed


def test_a_local_single_provider_is_left_as_it_is(isolated: Path) -> None:
    (isolated / ".chi_llm.yaml").write_text(yaml.safe_dump({"provider": {"type": "local", "context": 2048}}))
    assert run("providers", "add", "home", "--type", "openai", "--set", "base_url=http://127.0.0.1:8/v1").exit_code == 0
    written = yaml.safe_load((isolated / ".chi_llm.yaml").read_text())
    assert written["provider"] == {"type": "local", "context": 2048} and "default_provider" not in written
