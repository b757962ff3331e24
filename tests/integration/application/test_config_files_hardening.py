"""A JSON error with undecodable bytes is still valid JSON (the CLI as a process)."""

from __future__ import annotations

import json
from pathlib import Path


def test_a_json_error_with_undecodable_bytes_is_still_valid_json(isolated: Path) -> None:
    import subprocess
    import sys

    argument = b"--model=\xff\xfe.gguf"  # bytes that are not UTF-8, as a shell may pass them
    done = subprocess.run(
        [sys.executable.encode(), b"-m", b"chi_llm", b"generate", argument, b"hi", b"--json"],
        capture_output=True,
        timeout=60,
    )
    assert done.returncode != 0
    error = json.loads(done.stdout.decode("utf-8"))["error"]  # decodes: valid UTF-8 JSON
    assert error["kind"] and "Traceback" not in done.stderr.decode("utf-8", "replace")
