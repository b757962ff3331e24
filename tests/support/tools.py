"""Model files and other tools' folder trees, built on disk for tests."""

from __future__ import annotations

import json
from pathlib import Path

GGUF = b"GGUF" + b"\0" * 60


def touch(path: Path, data: bytes = GGUF) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def build_tools(home: Path) -> None:
    hub = home / ".cache" / "huggingface" / "hub" / "models--bartowski--Tiny-GGUF"
    blob = touch(hub / "blobs" / "abc123")
    snapshot = hub / "snapshots" / "c0ffee"
    snapshot.mkdir(parents=True)
    (snapshot / "Tiny-Q4_K_M.gguf").symlink_to(blob)
    touch(hub / "snapshots" / "c0ffee" / "mmproj-Tiny-f16.gguf")  # a vision projector, not a model
    (hub / "refs").mkdir()
    (hub / "refs" / "main").write_text("c0ffee")
    touch(home / ".lmstudio" / "models" / "lmstudio-community" / "Small-GGUF" / "Small-Q8_0.gguf")
    ollama = home / ".ollama" / "models"
    digest = "sha256:" + "d" * 64
    touch(ollama / "blobs" / digest.replace(":", "-"), GGUF * 3)
    manifest = {
        "layers": [
            {"mediaType": "application/vnd.ollama.image.template", "digest": "sha256:" + "e" * 64},
            {"mediaType": "application/vnd.ollama.image.model", "digest": digest},
        ]
    }
    (ollama / "manifests" / "registry.ollama.ai" / "library" / "llama3.2").mkdir(parents=True)
    (ollama / "manifests" / "registry.ollama.ai" / "library" / "llama3.2" / "1b").write_text(json.dumps(manifest))
    (ollama / "manifests" / "registry.ollama.ai" / "library" / "broken").mkdir(parents=True)
    (ollama / "manifests" / "registry.ollama.ai" / "library" / "broken" / "latest").write_text("{not json")
