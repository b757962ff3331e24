"""MCP tool names as tool names every provider accepts. MCP allows up to 128 characters with
dots; providers take 1-64 letters, digits, '_' and '-'. A name that fits is kept; one that does
not has each other character made '_' and is cut to fit, with a short hash of the original
added when it was cut or when it would meet another tool's name. Calls go to the original."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.tools import NAME

LONGEST = 64
_OTHER = re.compile(r"[^A-Za-z0-9_-]")
_HASH = 8  # hex digits of the original name's sha256 added to a changed name


def _hashed(original: str, base: str) -> str:
    digest = hashlib.sha256(original.encode()).hexdigest()[:_HASH]
    return f"{base[: LONGEST - _HASH - 1]}_{digest}"


def local_names(remote: Iterable[str], prefix: str = "") -> dict[str, str]:
    """Each remote name → the name the model sees (`prefix` + the name, made to fit). Names that
    fit are kept as they are; the changed ones give way to them."""
    if prefix and not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", prefix):
        raise InvalidRequest(f"an MCP tool prefix is 1-32 letters, digits, '_' or '-', got {prefix!r}")
    originals = list(dict.fromkeys(remote))
    names = {original: prefix + original for original in originals if NAME.match(prefix + original)}
    taken = set(names.values())
    for original in originals:
        if original in names:
            continue
        cleaned = _OTHER.sub("_", prefix + original) or "tool"
        local = cleaned if len(cleaned) <= LONGEST and cleaned not in taken else _hashed(original, cleaned)
        taken.add(local)
        names[original] = local
    return {original: names[original] for original in originals}
