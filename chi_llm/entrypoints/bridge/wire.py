"""A message as the one line written to the client: strict JSON in UTF-8 that any reader takes.
Text that is not Unicode (a file name with bytes that are not UTF-8, carried surrogate-escaped)
is shown escaped as what it is: the byte 0xff as the four characters `\\xff`, a lone surrogate
as `\\udXXX`. Characters some readers take for a line break are escaped, so one message is
always one line."""

from __future__ import annotations

import json
import re
from typing import Any

LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})
SURROGATE = re.compile("[\ud800-\udfff]")
ESCAPED_BYTES = range(0xDC80, 0xDD00)  # what os.fsdecode makes of the bytes 0x80-0xff


def shown(match: re.Match[str]) -> str:
    """A surrogate as JSON string text: a backslash (escaped for JSON) and its escape."""
    code = ord(match.group())
    return f"\\\\x{code - 0xDC00:02x}" if code in ESCAPED_BYTES else f"\\\\u{code:04x}"


def encode(message: Any) -> str:
    """The message as one line of JSON, without its line break. ValueError (NaN, a cycle),
    TypeError or RecursionError when it cannot be written as JSON."""
    text = json.dumps(message, ensure_ascii=False, allow_nan=False, default=str)
    if SURROGATE.search(text):  # only inside strings: JSON's own syntax is ASCII
        text = SURROGATE.sub(shown, text)
    return text.translate(LINE_BREAKS)
