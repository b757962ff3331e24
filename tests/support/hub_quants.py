"""A quantizer's repository of tiny GGUF files on the hub stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.support.hub_server import Hub, hub_for_downloads

REPO = "org/Tiny-GGUF"


DATA = b"GGUF" + bytes((i * 31 + 7) % 256 for i in range(300_000))


QUANTS = {  # what a quantizer's repository holds: sizes grow with precision
    "tiny-Q2_K.gguf": DATA[:100_000],
    "tiny-Q4_K_M.gguf": DATA[:200_000],
    "tiny-Q8_0.gguf": DATA,
    "tiny-F16.gguf": DATA + DATA,
    "mmproj-tiny-F16.gguf": DATA[:50_000],
    "big/tiny-Q8_0-00001-of-00002.gguf": DATA,
    "README.md": b"# Tiny",
}


@contextmanager
def quant_hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    with hub_for_downloads(monkeypatch) as hub:
        for name, data in QUANTS.items():
            hub.add(REPO, name, data)
        yield hub
