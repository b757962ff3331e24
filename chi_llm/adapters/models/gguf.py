"""A small reader for GGUF metadata (header key/values), without loading the model."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import mmap
import os
import struct
from pathlib import Path
from typing import Any

from chi_llm.domain.errors import ModelCorrupt
from chi_llm.domain.models.spec import GgufFacts
from chi_llm.domain.ports import ModelInspector
from chi_llm.domain.setting_rules import cache_home

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_SIZES = {kind: struct.calcsize(fmt) for kind, fmt in _SCALARS.items()}
_STRING, _ARRAY = 8, 9
_U64 = struct.Struct("<Q")

# Bounds on what a header may hold, far above any real model's (a 262k-token vocabulary with its
# merges is ~40 MB of header, ~1M array items; a chat template is tens of KB) and low enough that
# a crafted file is refused in well under a second and a few MB of memory.
MAX_KV = 1_000_000  # key/value pairs
MAX_KEY = 65_535  # bytes in a key (the GGUF specification's limit)
MAX_STRING = 4 << 20  # bytes in one string value that is read (array items are only skipped)
MAX_ARRAY = 1 << 24  # items in one array
MAX_DEPTH = 8  # arrays of arrays (llama.cpp itself reads none)
MAX_ITEMS = 1 << 24  # array items in the whole header
MAX_HEADER = 1 << 30  # bytes of key/value section walked
MAX_KEPT = 16 << 20  # bytes of the strings kept


class _Unreadable(Exception):
    """The header breaks one of the bounds above (the message says which)."""


class _Reader:
    """Walks the header of a memory-mapped GGUF file by offsets (no copies, no decoding of what
    is skipped: the tokenizer's vocabulary arrays hold ~100k strings in a typical model), within
    the bounds above: a crafted header is refused, never followed into deep recursion, huge
    allocations or a walk of billions of items."""

    def __init__(self, data: Any) -> None:
        self.data = data
        self.at = 0
        self.items = 0
        self.kept = 0

    def take(self, size: int) -> bytes:
        end = self.at + size
        if end > len(self.data):
            raise EOFError
        if end > MAX_HEADER:
            raise _Unreadable(f"metadata longer than {MAX_HEADER >> 20} MiB")
        chunk = self.data[self.at : end]
        self.at = end
        return bytes(chunk)

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))

    def string(self, limit: int, what: str) -> str:
        (length,) = self.unpack("<Q")
        if length > limit:
            raise _Unreadable(f"a {what} of {length:,} bytes; at most {limit:,} are read")
        self.kept += length
        if self.kept > MAX_KEPT:
            raise _Unreadable(f"more than {MAX_KEPT >> 20} MiB of text values")
        return self.take(length).decode("utf-8", errors="replace")

    def skip(self, size: int) -> None:
        self.at += size
        if self.at > len(self.data):
            raise EOFError
        if self.at > MAX_HEADER:
            raise _Unreadable(f"metadata longer than {MAX_HEADER >> 20} MiB")

    def skip_strings(self, count: int) -> None:
        data, at, unpack = self.data, self.at, _U64.unpack_from
        end = min(len(data), MAX_HEADER)
        for _ in range(count):
            if at + 8 > end:
                self.at = at + 8
                self.skip(0)  # raises: truncated, or past the bound
            at += 8 + unpack(data, at)[0]
        self.at = at
        self.skip(0)

    def value(self, kind: int, depth: int = 0) -> Any:
        if kind in _SCALARS:
            return self.unpack(_SCALARS[kind])[0]
        if kind == _STRING:
            return self.string(MAX_STRING, "text value")
        if kind == _ARRAY:
            self.array(depth + 1)
            return None
        raise ValueError(f"unknown GGUF value type {kind}")

    def array(self, depth: int) -> None:
        """Skip an array (its items are never kept)."""
        if depth > MAX_DEPTH:
            raise _Unreadable(f"arrays nested more than {MAX_DEPTH} deep")
        item_kind, count = self.unpack("<IQ")
        if count > MAX_ARRAY:
            raise _Unreadable(f"an array of {count:,} items; at most {MAX_ARRAY:,} are read")
        self.items += count
        if self.items > MAX_ITEMS:
            raise _Unreadable(f"more than {MAX_ITEMS:,} array items in all")
        if item_kind in _SIZES:  # fixed-size items: jump over them
            self.skip(_SIZES[item_kind] * count)
        elif item_kind == _STRING:
            self.skip_strings(count)
        elif item_kind == _ARRAY:
            for _ in range(count):
                self.array(depth + 1)
        else:
            raise ValueError(f"unknown GGUF array item type {item_kind}")


def read_metadata(path: Path) -> dict[str, Any]:
    """The scalar and string key/values of a GGUF file (arrays are skipped), read once per file
    version (path, size, mtime) in this process.

    Raises ModelCorrupt when the file is not a GGUF file or its header is truncated.
    """
    try:
        stat = path.stat()
    except OSError as exc:
        raise ModelCorrupt(f"cannot read {path}: {exc.strerror}", backend="gguf") from None
    return dict(_metadata(path.resolve(), stat.st_size, stat.st_mtime_ns))


@functools.lru_cache(maxsize=32)
def _metadata(path: Path, size: int, mtime_ns: int) -> dict[str, Any]:
    """Parsed once per file version; kept across processes in a small JSON cache (a cold start
    then reads ~2 KB instead of walking ~100k vocabulary entries)."""
    cache = _cache_path(path, size, mtime_ns)
    try:
        cached = json.loads(cache.read_text(encoding="utf-8"))
        if isinstance(cached, dict):
            return cached
    except (OSError, ValueError, RecursionError):
        pass
    metadata = _read(path)
    with contextlib.suppress(OSError):  # a cache that cannot be written is only slower
        cache.parent.mkdir(parents=True, exist_ok=True)
        temp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
        temp.write_text(json.dumps(metadata), encoding="utf-8")
        os.replace(temp, cache)
    return metadata


def _cache_path(path: Path, size: int, mtime_ns: int) -> Path:
    key = hashlib.sha256(os.fsencode(path) + f"\0{size}\0{mtime_ns}".encode()).hexdigest()[:32]
    return cache_home(os.environ) / "gguf-meta" / f"{key}.json"


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            if handle.read(4) != b"GGUF":
                raise ModelCorrupt(
                    f"{path} is not a GGUF model file (it lacks the GGUF signature): check that this is "
                    "the model you meant, or get it again from where it came from (the model's page, "
                    "`ollama pull`, LM Studio) and point at the new copy",
                    backend="gguf",
                )
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                return _parse(_Reader(mapped), path)
    except _Unreadable as exc:
        raise ModelCorrupt(
            f"{path} is not a model chi_llm will read: its GGUF header holds {exc}. The file is damaged "
            "or was made to break readers; get the model again from where it came from",
            backend="gguf",
        ) from None
    except (EOFError, ValueError, struct.error, OSError) as exc:
        raise ModelCorrupt(
            f"{path} is truncated or damaged ({str(exc) or 'it ends early'}); get it again from where it came "
            "from (a model chi-llm downloaded is fetched again on its next use)",
            backend="gguf",
        ) from None


def _parse(reader: _Reader, path: Path) -> dict[str, Any]:
    reader.at = 4
    version, _tensors, kv_count = reader.unpack("<IQQ")
    if version < 2:
        raise ModelCorrupt(f"{path} has an unsupported GGUF header (version {version})", backend="gguf")
    if kv_count > MAX_KV:
        raise _Unreadable(f"{kv_count:,} key/value pairs; at most {MAX_KV:,} are read")
    metadata: dict[str, Any] = {}
    for _ in range(kv_count):
        key = reader.string(MAX_KEY, "key")
        (kind,) = reader.unpack("<I")
        value = reader.value(kind)
        if value is not None:
            metadata[key] = value
    return metadata


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
