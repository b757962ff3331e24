"""gitignore patterns as git reads and matches them (gitignore(5), git's dir.c and wildmatch.c),
for one path at a time; the walk, not the pattern, keeps out what is inside an ignored folder.

A line is read as git reads it: a trailing CR dropped, `#` a comment, trailing spaces dropped
unless escaped, `!` negates, a trailing `/` matches folders only, any other `/` anchors the
pattern to the ignore file's folder (else it matches the name at any depth). Matching is
wildmatch with WM_PATHNAME: `*`, `?` and `[...]` never match `/`; `**` between slashes (or at an
end) matches any number of folders; `\\` escapes the next character; a pattern ending in a lone
`\\` or with an unclosed `[` matches nothing, as in git."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CLASSES = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "\\x21-\\x7e",
    "lower": "a-z",
    "print": "\\x20-\\x7e",
    "punct": "!-/:-@\\[-`{-~",
    "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z",
    "xdigit": "0-9a-fA-F",
}


class _NoMatch(Exception):
    """The pattern can match nothing (a trailing backslash, an unclosed bracket)."""


@dataclass(frozen=True, slots=True)
class Pattern:
    text: str  # the line as written (for messages)
    negated: bool
    folders_only: bool
    anchored: bool  # matched against the whole relative path, else against the name alone
    regex: re.Pattern[str]

    def matches(self, relative: str, folder: bool) -> bool:
        if self.folders_only and not folder:
            return False
        subject = relative if self.anchored else relative.rpartition("/")[2]
        return self.regex.fullmatch(subject) is not None


def _trim_trailing_spaces(line: str) -> str:
    end = len(line)
    while end and line[end - 1] == " ":
        backslashes = len(line[: end - 1]) - len(line[: end - 1].rstrip("\\"))
        if backslashes % 2:  # `\ `: an escaped space stays
            break
        end -= 1
    return line[:end]


def parse(line: str) -> Pattern | None:
    """The pattern a line of an ignore file holds, or None (blank, a comment, matching nothing)."""
    text = _trim_trailing_spaces(line.removesuffix("\r"))
    if not text or text.startswith("#"):
        return None
    body = text[1:] if text.startswith("!") else text
    folders_only = body.endswith("/")
    body = body.removesuffix("/")
    anchored = "/" in body
    body = body.removeprefix("/")
    if not body:
        return None
    try:
        regex = re.compile(_translate(body), re.DOTALL)
    except _NoMatch:
        return None
    return Pattern(text=line, negated=text.startswith("!"), folders_only=folders_only, anchored=anchored, regex=regex)


def _translate(body: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "*":
            stars = len(body[i:]) - len(body[i:].lstrip("*"))
            before_ok = i == 0 or body[i - 1] == "/"
            after = body[i + stars : i + stars + 1]
            if stars >= 2 and before_ok and after == "/":
                out.append("(?:.*/)?")  # `**/`: zero or more folders
                i += stars + 1
                continue
            out.append(".*" if stars >= 2 and before_ok and not after else "[^/]*")
            i += stars
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[":
            cls, i = _bracket(body, i)
            out.append(cls)
        elif char == "\\":
            if i + 1 >= len(body):
                raise _NoMatch
            out.append(re.escape(body[i + 1]))
            i += 2
        else:
            out.append(re.escape(char))
            i += 1
    return "".join(out)


def _bracket_char(body: str, i: int) -> tuple[str, int]:
    """One character of a bracket expression (`\\x` is x); the index after it."""
    if body[i] == "\\":
        i += 1
    if i >= len(body):
        raise _NoMatch
    return body[i], i + 1


def _bracket(body: str, start: int) -> tuple[str, int]:
    """A `[...]` expression as a regex class that never matches `/`; the index after it."""
    i = start + 1
    negate = i < len(body) and body[i] in "!^"
    i += negate
    parts: list[str] = []
    first = i  # a `]` here is a character, not the end
    while i >= len(body) or body[i] != "]" or i == first:
        if i >= len(body):
            raise _NoMatch  # unclosed: git's wildmatch gives up on the whole pattern
        if body.startswith("[:", i):
            end = body.find("]", i + 2)  # `[:name:]` ends at the first `]`; else the `[` is a character
            if end < 0:
                raise _NoMatch
            if end - 1 > i + 1 and body[end - 1] == ":":
                if body[i + 2 : end - 1] not in _CLASSES:
                    raise _NoMatch  # an unknown class: git gives up on the pattern
                parts.append(_CLASSES[body[i + 2 : end - 1]])
                i = end + 1
                continue
        low, i = _bracket_char(body, i)
        if body.startswith("-", i) and i + 1 < len(body) and body[i + 1] != "]":
            high, i = _bracket_char(body, i + 1)
            parts.append(f"{re.escape(low)}-{re.escape(high)}" if low <= high else "")
        else:
            parts.append(re.escape(low))
    chars = "".join(parts)
    if negate:
        return f"[^/{chars}]", i + 1
    return (f"(?!/)[{chars}]" if chars else "(?!)"), i + 1
