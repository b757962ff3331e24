"""Any fastembed model by name: fetched by fastembed from the hub (an in-process hub on loopback
here, serving the pinned model's files under that model's repository), then used offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.hub_server import running_hub

CODE = """
import json, sys
from pathlib import Path
from chi_llm.adapters.fastembed_embedder import FastEmbedEmbedder
from chi_llm.domain.errors import ChiLlmError
e = FastEmbedEmbedder(sys.argv[1], cache_dir=Path(sys.argv[2]))
try:
    vectors = e.embed_documents(["The car is red.", "Bananas are yellow."])
    print(json.dumps({"dimension": e.dimension, "first": vectors[0][:4], "tokens": e.count_tokens("hello world")}))
except ChiLlmError as error:
    print(json.dumps({"error": type(error).__name__, "message": error.message}))
"""


def embed(model: str, cache: Path, hub_url: str) -> dict[str, object]:
    env = {**os.environ, "HF_ENDPOINT": hub_url, "HF_HUB_DISABLE_XET": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", CODE, model, str(cache)], capture_output=True, text=True, timeout=180, env=env
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture(scope="module")
def pinned_files() -> Path:
    from tests.contract.test_embedder import fastembed_default, shared_cache

    fastembed_default().embed_query("fetch the pinned files once")
    return shared_cache() / "embeddings" / "BAAI--bge-small-en-v1.5"


def test_a_model_named_is_fetched_from_the_hub_then_works_offline(pinned_files: Path, tmp_path: Path) -> None:
    with running_hub() as hub:
        for name in ("model.onnx", "tokenizer.json", "tokenizer_config.json", "config.json"):
            hub.add("Qdrant/all-MiniLM-L6-v2-onnx", name, (pinned_files / name).read_bytes())
        fetched = embed("sentence-transformers/all-MiniLM-L6-v2", tmp_path, hub.url)
        asked = {path for _, path, _ in hub.requests}
    assert fetched["dimension"] == 384 and fetched["tokens"] == 2
    assert any("/Qdrant/all-MiniLM-L6-v2-onnx/resolve/" in p and p.endswith("model.onnx") for p in asked)
    offline = embed("sentence-transformers/all-MiniLM-L6-v2", tmp_path, "http://127.0.0.1:9")  # no hub now
    assert offline == fetched


def test_an_unknown_model_name_is_a_clear_error(tmp_path: Path) -> None:
    with running_hub() as hub:
        result = embed("nobody/no-such-embedder", tmp_path, hub.url)
    assert result["error"] == "ModelNotFound" and "no-such-embedder" in str(result["message"])
