"""Every example in examples/ runs as a user would run it (a new process, its own working folder)
on the real embedded model, or on the fake provider where a remote server would be needed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXPECTED = {
    "basic_usage.py": ["generate:", "ask:", "complete:", "completion tokens"],
    "streaming.py": ["finish reason:", "stopped early after"],
    "chatbot.py": ["you: Hi, I am Ana", "bot: ", "(4 messages in the conversation)"],
    "async_usage.py": ["agenerate:", "astream:"],
    "config_hierarchy.py": ["from env CHI_LLM_TEMPERATURE", "max_tokens   = 64", "at most 8 tokens: True"],
    "providers_and_router.py": ["router:   Hello from the fallback.", "by tag:   Tagged reply.", "explicit: Backend"],
    "model_management.py": ["recommended here:", "current model:    smollm2-135m", "default model at:"],
    "rag_sources.py": [
        "added 2, unchanged 0",
        "answer:",
        "[1] ",
        "garden.md — Garden",
        "full-text search: The blue car",
    ],
    "openai_server.py": ["serving at http://127.0.0.1:", "streamed: ", "tokens)", "models: ", "smollm2-135m"],
    "rag_object_storage.py": ["stored in s3://", "found: Invoices are paid within 30 days", "answer:"],
}


def test_every_example_is_listed() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs(name: str, isolated: Path, default_model_path: Path, request: pytest.FixtureRequest) -> None:
    env = {**os.environ, "CHI_LLM_HOME": str(default_model_path.parent.parent)}
    if name == "rag_object_storage.py":  # an S3-compatible server on loopback (moto)
        s3 = request.getfixturevalue("s3_server")
        env |= {"CHI_LLM_S3_BUCKET": s3.bucket(), "CHI_LLM_S3_ENDPOINT": s3.url}
        env |= {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        input="Hi, I am Ana\nWhat is my name?\n",
        capture_output=True,
        text=True,
        timeout=300,
        cwd=isolated,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    for text in EXPECTED[name]:
        assert text in done.stdout, done.stdout
    assert "Traceback" not in done.stderr
