"""The record a fetched model file keeps beside it (`.<file>.source.json`): the model id and source
it was fetched as, and its sha256. Unlike the verification stamp (a cache, dropped when a check
fails) it stays until the model is removed, so the sha256 first seen is checked ever after: by
every full check, and against the hub when the file is fetched again."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from chi_llm.domain.models.spec import RecordedFile, is_sha256

SUFFIX = ".source.json"
MAX_RECORD = 64 * 1024


def record_path(models_dir: Path, filename: str) -> Path:
    return models_dir / f".{filename}{SUFFIX}"


def load(path: Path) -> RecordedFile | None:
    """The record at `path`; None when there is none or it is not one chi_llm wrote."""
    try:
        if path.stat().st_size > MAX_RECORD:
            return None
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(raw, dict):
        return None
    text = {k: raw.get(k) for k in ("id", "source", "filename", "sha256")}
    size = raw.get("size_bytes")
    if not all(isinstance(v, str) for v in text.values()) or not is_sha256(text["sha256"]):
        return None
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return None
    return RecordedFile(
        id=str(text["id"]),
        source=str(text["source"]),
        filename=str(text["filename"]),
        sha256=str(text["sha256"]),
        size_bytes=size,
    )


def save(path: Path, record: RecordedFile) -> None:
    """Written atomically (temp file, then rename)."""
    temp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    fields = {
        "id": record.id,
        "source": record.source,
        "filename": record.filename,
        "sha256": record.sha256,
        "size_bytes": record.size_bytes,
    }
    try:
        temp.write_text(json.dumps(fields), encoding="utf-8")
        os.replace(temp, path)
    finally:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)


def every(models_dir: Path) -> list[RecordedFile]:
    if not models_dir.is_dir():
        return []
    found = (load(p) for p in sorted(models_dir.glob(f".*.gguf{SUFFIX}")))
    return [r for r in found if r is not None]
