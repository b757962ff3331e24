"""A small reader for GGUF metadata (header key/values), without loading the model."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any, BinaryIO

from chi_llm.domain.errors import ModelCorrupt
from chi_llm.domain.models import GgufFacts
from chi_llm.domain.ports import ModelInspector

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


def kv_bytes_per_token(metadata: dict[str, Any]) -> int | None:
    """f16 KV-cache bytes per token: 2 x layers x KV heads x head size x 2; None if the file does not say."""
    arch = metadata.get("general.architecture")
    layers = metadata.get(f"{arch}.block_count")
    heads = metadata.get(f"{arch}.attention.head_count")
    kv_heads = metadata.get(f"{arch}.attention.head_count_kv", heads)
    key_length = metadata.get(f"{arch}.attention.key_length")
    value_length = metadata.get(f"{arch}.attention.value_length", key_length)
    if not key_length and isinstance(heads, int) and heads:
        embedding = metadata.get(f"{arch}.embedding_length")
        key_length = value_length = embedding // heads if isinstance(embedding, int) else None
    values = (layers, kv_heads, key_length, value_length)
    if not all(isinstance(v, int) and v > 0 for v in values):
        return None
    n_layers, n_kv, k_len, v_len = (int(v) for v in values)  # type: ignore[arg-type]
    return n_layers * n_kv * (k_len + v_len) * 2


class GgufInspector(ModelInspector):
    def inspect(self, path: Path) -> GgufFacts:
        metadata = read_metadata(path)
        return GgufFacts(
            architecture=metadata.get("general.architecture"),
            name=metadata.get("general.name"),
            context_length=trained_context(metadata),
            kv_bytes_per_token=kv_bytes_per_token(metadata),
            has_chat_template=bool(metadata.get("tokenizer.chat_template")),
        )
