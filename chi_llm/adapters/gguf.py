"""A small reader for GGUF metadata (header key/values), without loading the model."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any, BinaryIO

from chi_llm.domain.errors import ModelCorrupt

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
_MAX_KV = 1_000_000


def _read(handle: BinaryIO, size: int) -> bytes:
    data = handle.read(size)
    if len(data) != size:
        raise EOFError
    return data


def _string(handle: BinaryIO) -> str:
    (length,) = struct.unpack("<Q", _read(handle, 8))
    return _read(handle, length).decode("utf-8", errors="replace")


def _value(handle: BinaryIO, kind: int) -> Any:
    if kind in _SCALARS:
        fmt = _SCALARS[kind]
        return struct.unpack(fmt, _read(handle, struct.calcsize(fmt)))[0]
    if kind == _STRING:
        return _string(handle)
    if kind == _ARRAY:
        item_kind, count = struct.unpack("<IQ", _read(handle, 12))
        if item_kind in _SCALARS:  # skip fixed-size arrays without decoding them
            handle.seek(struct.calcsize(_SCALARS[item_kind]) * count, 1)
        else:
            for _ in range(count):
                _value(handle, item_kind)
        return None
    raise ValueError(f"unknown GGUF value type {kind}")


def read_metadata(path: Path) -> dict[str, Any]:
    """The scalar and string key/values of a GGUF file (arrays are skipped).

    Raises ModelCorrupt when the file is not a GGUF file or its header is truncated.
    """
    try:
        with path.open("rb") as handle:
            if _read(handle, 4) != b"GGUF":
                raise ModelCorrupt(f"{path} is not a GGUF model file", backend="gguf")
            version, _tensors, kv_count = struct.unpack("<IQQ", _read(handle, 20))
            if version < 2 or kv_count > _MAX_KV:
                raise ModelCorrupt(f"{path} has an unsupported GGUF header (version {version})", backend="gguf")
            metadata: dict[str, Any] = {}
            for _ in range(kv_count):
                key = _string(handle)
                (kind,) = struct.unpack("<I", _read(handle, 4))
                value = _value(handle, kind)
                if value is not None:
                    metadata[key] = value
            return metadata
    except (EOFError, ValueError, struct.error) as exc:
        raise ModelCorrupt(
            f"{path} is truncated or damaged ({exc or 'unexpected end'}); delete it and fetch again", backend="gguf"
        ) from None


def trained_context(metadata: dict[str, Any]) -> int | None:
    """The context length the model was trained with, if the file says."""
    arch = metadata.get("general.architecture")
    value = metadata.get(f"{arch}.context_length") if arch else None
    return int(value) if isinstance(value, int) and value > 0 else None
