"""Text that UTF-8 can carry, for every output (CLI, server, knowledge base).

A name whose bytes are not UTF-8 (a file name, an argument) reaches us as a str with lone
surrogates (os.fsdecode's surrogateescape). Shown, such a byte is `\\xff` (what `$'...'` in a
shell takes back); any other lone surrogate is `\\ud800`. Every other text is unchanged.
"""

from __future__ import annotations

from typing import Any


def shown(text: str) -> str:
    """`text` with what UTF-8 cannot encode escaped (see the module's docstring)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:  # the bytes os.fsdecode escaped, back to bytes, then the undecodable ones as \xNN
            return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:  # a lone surrogate that stands for no byte
            return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def shown_values(value: Any) -> Any:
    """A JSON-ready value with every string, keys included, made `shown`."""
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, dict):
        return {shown(str(k)): shown_values(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [shown_values(v) for v in value]
    return value
