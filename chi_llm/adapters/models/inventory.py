"""GGUF models other tools already keep on this machine, listed read-only and loadable in place.

Layouts read: the Hugging Face hub cache (`models--OWNER--REPO/snapshots/REV/...`), LM Studio's
models folder (`PUBLISHER/REPO/FILE.gguf`), Ollama's store (`manifests/HOST/NAMESPACE/NAME/TAG`
pointing at `blobs/sha256-...`), and the folders in the `gguf_paths` setting.

Names are carried as the file system gives them: a name that is not UTF-8 is a str with
surrogate escapes (os.fsdecode), so the path opens the very file; rendering it is the caller's
job. A tool's file that is not what the tool writes (a ref, manifest or settings file of another
shape, a digest or ref that points outside the tool's folders) is skipped, never followed.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from chi_llm.adapters.bounded_read import read_text
from chi_llm.domain.errors import ConfigError
from chi_llm.domain.models.spec import InstalledModel
from chi_llm.domain.ports import ModelInventory

OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model"
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_REVISION = re.compile(r"^[0-9A-Za-z._-]{1,255}$")  # a commit id, as the hub cache names its snapshots


def _json_object(path: Path) -> dict[str, object] | None:
    """A tool's small JSON file as a mapping, or None when it is missing, unreadable or not one."""
    try:
        value = json.loads(_small_text(path) or "null")
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _ref(path: Path) -> str | None:
    """The revision a hub-cache ref names (None: no ref, or not a plain revision name)."""
    text = (_small_text(path) or "").strip()
    return text if _REVISION.match(text) and text not in (".", "..") else None


def _loadable(path: Path) -> bool:
    return path.suffix == ".gguf" and not path.name.lower().startswith("mmproj") and path.is_file()


def _small_text(path: Path) -> str | None:
    """Another tool's small file (a ref, a manifest, settings) through the bounded reader: None
    when it is missing, unreadable, not a regular file or larger than a configuration file."""
    try:
        return read_text(path)
    except ConfigError:
        return None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


class ToolInventory(ModelInventory):
    def __init__(self, env: Mapping[str, str], gguf_paths: Sequence[str] = (), home: Path | None = None) -> None:
        self.env = env
        self.home = home or Path.home()
        self.gguf_paths = [Path(os.path.expanduser(p)) for p in gguf_paths]

    def scan(self) -> list[InstalledModel]:
        found: dict[str, InstalledModel] = {}
        for model in (*self._hf_cache(), *self._lmstudio(), *self._ollama(), *self._folders()):
            found.setdefault(model.id, model)
        return list(found.values())

    def hf_cache_root(self) -> Path:
        if self.env.get("HF_HUB_CACHE"):
            return Path(os.path.expanduser(self.env["HF_HUB_CACHE"]))
        base = (
            Path(os.path.expanduser(self.env["HF_HOME"]))
            if self.env.get("HF_HOME")
            else self.home / ".cache" / "huggingface"
        )
        return base / "hub"

    def _hf_cache(self) -> Iterator[InstalledModel]:
        root = self.hf_cache_root()
        for repo_dir in sorted(root.glob("models--*")):
            repo = repo_dir.name[len("models--") :].replace("--", "/")
            main = _ref(repo_dir / "refs" / "main")
            snapshots = [repo_dir / "snapshots" / main] if main else []
            snapshots += sorted((repo_dir / "snapshots").glob("*"))
            for snapshot in snapshots:
                for path in sorted(snapshot.rglob("*.gguf")):
                    if _loadable(path):
                        rel = path.relative_to(snapshot).as_posix()
                        yield InstalledModel(
                            id=f"hf-cache:{repo}/{rel}",
                            path=str(path),
                            size_bytes=_size(path),
                            origin="huggingface cache",
                        )

    def lmstudio_roots(self) -> list[Path]:
        roots = []
        folder = (_json_object(self.home / ".lmstudio" / "settings.json") or {}).get("downloadsFolder")
        if isinstance(folder, str) and folder and "\0" not in folder:
            roots.append(Path(os.path.expanduser(folder)))
        return [*roots, self.home / ".lmstudio" / "models", self.home / ".cache" / "lm-studio" / "models"]

    def _lmstudio(self) -> Iterator[InstalledModel]:
        for root in self.lmstudio_roots():
            for path in sorted(root.glob("*/*/*.gguf")):
                if _loadable(path):
                    rel = path.relative_to(root).as_posix()
                    yield InstalledModel(
                        id=f"lmstudio:{rel}", path=str(path), size_bytes=_size(path), origin="lm studio"
                    )

    def ollama_roots(self) -> list[Path]:
        if self.env.get("OLLAMA_MODELS"):
            return [Path(os.path.expanduser(self.env["OLLAMA_MODELS"]))]
        return [self.home / ".ollama" / "models", Path("/usr/share/ollama/.ollama/models")]

    def _ollama(self) -> Iterator[InstalledModel]:
        for root in self.ollama_roots():
            manifests = root / "manifests"
            for manifest in sorted(p for p in manifests.glob("*/*/*/*") if p.is_file()):
                host, namespace, name, tag = manifest.relative_to(manifests).parts
                layers = (_json_object(manifest) or {}).get("layers")
                digest = next(
                    (
                        layer.get("digest")
                        for layer in (layers if isinstance(layers, list) else [])
                        if isinstance(layer, dict) and layer.get("mediaType") == OLLAMA_MODEL_LAYER
                    ),
                    None,
                )
                if not isinstance(digest, str) or not _DIGEST.match(digest):
                    continue  # only `sha256:<hex>` names a blob (anything else could name any file)
                blob = root / "blobs" / digest.replace(":", "-")
                if not blob.is_file():
                    continue
                label = (
                    f"{name}:{tag}"
                    if (host, namespace) == ("registry.ollama.ai", "library")
                    else f"{host}/{namespace}/{name}:{tag}"
                )
                yield InstalledModel(id=f"ollama:{label}", path=str(blob), size_bytes=_size(blob), origin="ollama")

    def _folders(self) -> Iterator[InstalledModel]:
        for folder in self.gguf_paths:
            for path in sorted(folder.rglob("*.gguf")):
                if _loadable(path):
                    yield InstalledModel(id=f"gguf:{path}", path=str(path), size_bytes=_size(path), origin="gguf_paths")
