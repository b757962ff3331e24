"""GGUF models other tools already keep on this machine, listed read-only and loadable in place.

Layouts read: the Hugging Face hub cache (`models--OWNER--REPO/snapshots/REV/...`), LM Studio's
models folder (`PUBLISHER/REPO/FILE.gguf`), Ollama's store (`manifests/HOST/NAMESPACE/NAME/TAG`
pointing at `blobs/sha256-...`), and the folders in the `gguf_paths` setting.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from chi_llm.adapters.bounded_read import read_text
from chi_llm.domain.errors import ConfigError
from chi_llm.domain.model_spec import InstalledModel
from chi_llm.domain.ports import ModelInventory

OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model"


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
            main = repo_dir / "refs" / "main"
            ref = _small_text(main)
            snapshots = [repo_dir / "snapshots" / ref.strip()] if ref and ref.strip() else []
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
        settings = self.home / ".lmstudio" / "settings.json"
        try:
            folder = json.loads(_small_text(settings) or "{}").get("downloadsFolder")
            if folder:
                roots.append(Path(os.path.expanduser(folder)))
        except (OSError, ValueError, AttributeError, RecursionError, TypeError):
            pass
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
                try:
                    layers = json.loads(_small_text(manifest) or "{}").get("layers", [])
                except (ValueError, AttributeError, RecursionError):
                    continue
                if not isinstance(layers, list):
                    continue
                digest = next(
                    (
                        layer.get("digest", "")
                        for layer in layers
                        if isinstance(layer, dict) and layer.get("mediaType") == OLLAMA_MODEL_LAYER
                    ),
                    "",
                )
                blob = root / "blobs" / digest.replace(":", "-")
                if not digest or not blob.is_file():
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
