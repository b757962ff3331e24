"""FileLoader on a link to a device: skipped, not read until memory runs out (in a bounded child)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chi_llm.adapters.document_loader import FileLoader
from tests.support.bounded import run_python_bounded
from tests.support.fs import names

LOAD_ONE = "import sys; from pathlib import Path; from chi_llm.adapters.document_loader import FileLoader; " \
    "print(FileLoader().load(Path(sys.argv[1])))"  # fmt: skip


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_link_to_a_device_is_skipped_not_read_until_memory_runs_out(tmp_path: Path, device: str) -> None:
    link = tmp_path / "zeros.txt"
    link.symlink_to(device)
    assert names(FileLoader().find([str(tmp_path)]).files) == ["zeros.txt"]
    done = run_python_bounded(LOAD_ONE, str(link), memory=1024 << 20, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "not a regular file (a character device)" in done.stdout
