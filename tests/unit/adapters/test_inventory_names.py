"""Other tools' folders as they may really be: names that are not UTF-8, and files that are not
what the tool writes. A listing carries such names as they are and never fails."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from chi_llm.adapters.models.files import LocalModelFiles
from chi_llm.adapters.models.inventory import ToolInventory
from tests.support.tools import GGUF, build_tools, touch

BAD = os.fsdecode(b"\xffbad-\xe9")  # bytes no UTF-8 decoder accepts, as Python names them


def test_names_that_are_not_utf8_are_listed_as_they_are(tmp_path: Path) -> None:
    home = tmp_path / "home"
    hub = home / ".cache" / "huggingface" / "hub" / f"models--org--{BAD}"
    touch(hub / "snapshots" / "rev" / f"{BAD}.gguf")
    touch(home / ".lmstudio" / "models" / BAD / "Repo-GGUF" / f"{BAD}.gguf")
    ollama = home / ".ollama" / "models"
    digest = "sha256:" + "d" * 64
    touch(ollama / "blobs" / digest.replace(":", "-"))
    manifest = {"layers": [{"mediaType": "application/vnd.ollama.image.model", "digest": digest}]}
    (ollama / "manifests" / "registry.ollama.ai" / "library" / BAD).mkdir(parents=True)
    (ollama / "manifests" / "registry.ollama.ai" / "library" / BAD / "1b").write_text(json.dumps(manifest))
    own = touch(tmp_path / f"folder-{BAD}" / f"{BAD}.gguf")
    found = {m.id: m for m in ToolInventory({}, [str(own.parent)], home=home).scan()}
    assert set(found) == {
        f"hf-cache:org/{BAD}/{BAD}.gguf",
        f"lmstudio:{BAD}/Repo-GGUF/{BAD}.gguf",
        f"ollama:{BAD}:1b",
        f"gguf:{own}",
    }
    for model in found.values():  # each path names the real file, byte for byte
        assert os.path.isfile(os.fsencode(model.path)) and Path(model.path).read_bytes() == GGUF
    owned = LocalModelFiles(tmp_path / "store")
    touch(owned.models_dir / f"{BAD}.gguf")
    assert [m.id for m in owned.owned_files()] == [f"{BAD}.gguf"]


@pytest.mark.parametrize(
    "damage",
    [
        "hf-ref-not-utf8",
        "hf-ref-a-path",
        "ollama-layers-not-a-list",
        "ollama-layer-digest-not-text",
        "ollama-digest-a-path",
        "ollama-manifest-a-list",
        "lmstudio-folder-not-text",
        "lmstudio-settings-not-utf8",
    ],
)
def test_a_tool_file_that_is_not_what_the_tool_writes_is_skipped(tmp_path: Path, damage: str) -> None:
    home = tmp_path / "home"
    build_tools(home)
    hub = home / ".cache" / "huggingface" / "hub" / "models--bartowski--Tiny-GGUF"
    manifest = home / ".ollama" / "models" / "manifests" / "registry.ollama.ai" / "library" / "llama3.2" / "1b"
    settings = home / ".lmstudio" / "settings.json"
    layer = {"mediaType": "application/vnd.ollama.image.model"}
    outside = touch(tmp_path / "outside" / "secret.gguf")
    to_outside = os.path.relpath(outside, home / ".ollama" / "models" / "blobs")
    writes: dict[str, tuple[Path, bytes]] = {
        "hf-ref-not-utf8": (hub / "refs" / "main", b"\xff\xfe"),
        "hf-ref-a-path": (hub / "refs" / "main", os.path.relpath(outside.parent, hub / "snapshots").encode()),
        "ollama-layers-not-a-list": (manifest, b'{"layers": 5}'),
        "ollama-layer-digest-not-text": (manifest, json.dumps({"layers": [{**layer, "digest": 7}]}).encode()),
        "ollama-digest-a-path": (manifest, json.dumps({"layers": [{**layer, "digest": str(to_outside)}]}).encode()),
        "ollama-manifest-a-list": (manifest, b"[1, 2]"),
        "lmstudio-folder-not-text": (settings, b'{"downloadsFolder": ["x"]}'),
        "lmstudio-settings-not-utf8": (settings, b'{"downloadsFolder": "\xff"}'),
    }
    path, data = writes[damage]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    found = {m.id: m for m in ToolInventory({}, home=home).scan()}
    assert "lmstudio:lmstudio-community/Small-GGUF/Small-Q8_0.gguf" in found  # the rest is still listed
    assert not any(os.path.realpath(m.path) == str(outside) for m in found.values())
    if damage.startswith("ollama"):
        assert "ollama:llama3.2:1b" not in found
