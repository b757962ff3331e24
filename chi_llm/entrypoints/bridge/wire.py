"""A message as the one line written to the client: strict JSON in UTF-8 that any reader takes.
Text that is not Unicode (a file name with bytes that are not UTF-8, carried surrogate-escaped)
is shown escaped as what it is: the byte 0xff as the four characters `\\xff`, a lone surrogate
as `\\udXXX`. Characters some readers take for a line break are escaped, so one message is
always one line."""

from __future__ import annotations

import json
import re
from typing import Any

from chi_llm.domain.shown_text import shown, shown_values

LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})
SURROGATE = re.compile("[\ud800-\udfff]")


def encode(message: Any) -> str:
    """The message as one line of JSON, without its line break. ValueError (NaN, a cycle),
    TypeError or RecursionError when it cannot be written as JSON."""
    text = json.dumps(message, ensure_ascii=False, allow_nan=False, default=str)
    if SURROGATE.search(text):  # only inside strings: JSON's own syntax is ASCII
        text = json.dumps(shown_values(message), ensure_ascii=False, allow_nan=False, default=lambda o: shown(str(o)))
    return text.translate(LINE_BREAKS)
