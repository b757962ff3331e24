"""What a partial download was started against, kept beside it (`<file>.part.validator`), so that
resuming asks the server for the rest of the same bytes (`If-Range`) or starts over.

Without it a resume sends `Range: bytes=N-` alone, and a file replaced upstream meanwhile comes
back as the old file's head spliced to the new file's tail, which nothing but a sha256 can catch.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Validator:
    """The server's word for the version being downloaded.

    Attributes:
        etag: the `ETag` header of the response that started the download, as sent (None if none).
        identity: the hub's id of the file (the LFS sha256, or the git blob id) from its metadata.
        size: the file's size from the hub's metadata.
    """

    etag: str | None
    identity: str | None
    size: int | None

    def if_range(self) -> str | None:
        """The `If-Range` to resume with: the recorded ETag when it is strong (a weak one never
        matches, RFC 9110 13.1.5), else the LFS sha256 as an entity tag; None: cannot resume."""
        if self.etag and self.etag.startswith('"') and self.etag.endswith('"') and len(self.etag) > 2:
            return self.etag
        identity = (self.identity or "").strip('"').lower()
        return f'"{identity}"' if _SHA256.match(identity) else None


def _path(part: Path) -> Path:
    return part.with_name(part.name + ".validator")


def save(part: Path, validator: Validator) -> None:
    record = _path(part)
    temp = record.with_name(f"{record.name}.tmp-{os.getpid()}")
    temp.write_text(json.dumps(asdict(validator)), encoding="utf-8")
    os.replace(temp, record)


def load(part: Path) -> Validator | None:
    """The recorded validator, or None when there is none or it cannot be read."""
    try:
        raw = json.loads(_path(part).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(raw, dict):
        return None
    etag, identity, size = raw.get("etag"), raw.get("identity"), raw.get("size")
    if not all(v is None or isinstance(v, str) for v in (etag, identity)):
        return None
    if size is not None and (not isinstance(size, int) or isinstance(size, bool)):
        return None
    return Validator(etag=etag, identity=identity, size=size)


def discard(part: Path) -> None:
    """Forget a partial download: its bytes and its validator."""
    for path in (part, _path(part)):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
