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


def sample() -> bytes:
    return gguf_bytes(
        [
            ("general.architecture", 8, string("llama")),
            ("llama.context_length", 4, struct.pack("<I", 8192)),
            ("tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, 2) + string("a") + string("b")),
            ("tokenizer.ggml.scores", 9, struct.pack("<IQ", 6, 2) + struct.pack("<ff", 0.5, 0.25)),
            ("tokenizer.chat_template", 8, string("{{ messages }}")),
            ("general.flag", 7, struct.pack("<?", True)),
        ]
    )
