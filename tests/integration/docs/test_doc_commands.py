"""Every runnable shell block of the documentation (```bash, see tests/support/doc_fences.py) runs
as a reader would run it: a script with `set -e` in a fresh folder with no configuration, on the
real embedded model, `chi-llm` being this checkout's CLI. A documented command that stops working
fails here."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.doc_examples import reader_home
from tests.support.doc_fences import ROOT, SHELLS, Fence, all_fences

RUNNABLE = [f for f in all_fences() if f.lang in SHELLS and not {"notest", "synopsis"} & f.options]


def test_the_documentation_has_runnable_shell_blocks() -> None:
    assert len(RUNNABLE) >= 3


@pytest.mark.parametrize("fence", RUNNABLE, ids=lambda f: f.where)
def test_a_documented_shell_block_runs(fence: Fence, isolated: Path, default_model_path: Path) -> None:
    home = reader_home(default_model_path.parent.parent, isolated.parent / "reader_home")
    env = {name: value for name, value in os.environ.items() if not name.startswith("CHI_LLM_")}
    env |= {"CHI_LLM_HOME": str(home), "PYTHONPATH": str(ROOT)}
    preamble = f'set -euo pipefail\nchi-llm() {{ {shlex.quote(sys.executable)} -m chi_llm "$@"; }}\n'
    done = subprocess.run(
        ["bash", "-c", preamble + fence.code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=isolated,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, f"{fence.where} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
