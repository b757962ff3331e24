"""`chi-llm rag`, the real flow: fastembed's default model, LanceDB and the embedded llama.cpp model,
offline."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.rag_docs import mixed_docs


@pytest.fixture
def docs(isolated: Path) -> Path:
    return mixed_docs(isolated)


def _offline() -> list[str]:
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0:
        return ["unshare", "-n"]
    pytest.skip("cannot start a process without network here (unshare -n)")


def test_real_add_then_query_offline_cites_a_persistent_base(
    docs: Path, isolated: Path, default_model_path: Path
) -> None:
    home = str(default_model_path.parent.parent)  # the chat model and the embedding model, fetched once
    env = {**os.environ, "CHI_LLM_HOME": home}
    kb = str(isolated / "kb")
    cli = [sys.executable, "-m", "chi_llm", "rag"]
    first = subprocess.run([*cli, "add", str(docs), "--db", kb], capture_output=True, text=True, env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    offline = _offline()
    again = subprocess.run([*offline, *cli, "add", str(docs), "--db", kb, "--json"], capture_output=True, text=True,
                           env=env, timeout=300)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["chunks"] == 0 and len(json.loads(again.stdout)["unchanged"]) == 2
    asked = subprocess.run(
        [*offline, *cli, "query", "Which plants grow in shade?", "--sources", "--db", kb, "-k", "2"],
        capture_output=True, text=True, env={**env, "CHI_LLM_MAX_TOKENS": "24"}, timeout=300,
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    answer, _, sources = asked.stdout.partition("Sources:")
    assert answer.strip() and "[1]" in sources and "garden.md" in sources
    assert asked.stderr.count("a larger model answers from your documents far better") == 1  # said once
    assert "smollm2-135m (135M parameters) answered" in asked.stderr
