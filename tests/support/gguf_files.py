"""Small GGUF headers built byte by byte, for the metadata reader and crafted-file tests."""

from __future__ import annotations

import struct


def gguf_bytes(entries: list[tuple[str, int, bytes]]) -> bytes:
    """A GGUF v3 header with no tensors and these (key, value type, encoded value) entries."""
    out = b"GGUF" + struct.pack("<IQQ", 3, 0, len(entries))
    for key, kind, payload in entries:
        out += struct.pack("<Q", len(key)) + key.encode() + struct.pack("<I", kind) + payload
    return out


def string(value: str) -> bytes:
    return struct.pack("<Q", len(value.encode())) + value.encode()


def nested_arrays(depth: int) -> bytes:
    """An array of an array of ... `depth` deep, the innermost empty."""
    return struct.pack("<IQ", 9, 1) * (depth - 1) + struct.pack("<IQ", 4, 0)
