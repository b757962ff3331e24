"""What a function's docstring says about it as a tool: its description (the text before any
section) and one line per parameter, from Google (`Args:`), NumPy (`Parameters` + dashes) or
Sphinx (`:param name:`) style."""

from __future__ import annotations

import inspect
import re

PARAMETER_SECTIONS = {"args", "arguments", "parameters", "params", "keyword args", "keyword arguments"}
OTHER_SECTIONS = {"returns", "return", "yields", "yield", "raises", "examples", "example", "notes", "note"}
OTHER_SECTIONS |= {"see also", "attributes", "warnings", "warning", "references", "todo", "other parameters"}
SPHINX = re.compile(r"^:(?:param|parameter|arg|argument|key|keyword)\s+(?:[^:]*\s)?\*{0,2}(\w+)\s*:\s*(.*)$")
FIELD = re.compile(r"^:\w+")
UNDERLINE = re.compile(r"^-{3,}$")
GOOGLE_ENTRY = re.compile(r"^\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
NUMPY_ENTRY = re.compile(r"^\*{0,2}(\w+)\s*(?::.*)?$")


def _heading(lines: list[str], at: int) -> tuple[str, bool] | None:
    """(the section's name, whether NumPy-style) when line `at` opens a section."""
    line = lines[at].strip()
    key = line.rstrip(":").strip().lower()
    if key not in PARAMETER_SECTIONS | OTHER_SECTIONS:
        return None
    if at + 1 < len(lines) and UNDERLINE.match(lines[at + 1].strip()):
        return key, True
    return (key, False) if line.endswith(":") else None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


class _Reader:
    """Reads a cleaned docstring line by line: the description until the first section, then
    the entries of parameter sections (an entry at the section's indent, continued deeper)."""

    def __init__(self) -> None:
        self.description: list[str] = []
        self.params: dict[str, list[str]] = {}
        self.section: str | None = None
        self.numpy, self.base, self.current = False, -1, ""

    def open(self, section: str, numpy: bool) -> None:
        self.section, self.numpy, self.base, self.current = section, numpy, -1, ""

    def line(self, line: str) -> None:
        text = line.strip()
        sphinx = SPHINX.match(text)
        if sphinx:
            self.section, self.current = "sphinx", sphinx.group(1)
            self.params[self.current] = [sphinx.group(2)]
        elif FIELD.match(text):
            self.section, self.current = "field", ""
        elif self.section is None:
            self.description.append(line)
        elif text and self.section in PARAMETER_SECTIONS:
            self.entry(line, text)
        elif text and self.section == "sphinx" and self.current and _indent(line) > 0:
            self.params[self.current].append(text)

    def entry(self, line: str, text: str) -> None:
        self.base = _indent(line) if self.base < 0 else self.base
        found = (NUMPY_ENTRY if self.numpy else GOOGLE_ENTRY).match(text) if _indent(line) <= self.base else None
        if found:
            self.current = found.group(1)
            self.params[self.current] = [] if self.numpy else [found.group(2)]
        elif self.current:
            self.params[self.current].append(text)


def read_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """(the description, each documented parameter's description)."""
    lines = inspect.cleandoc(doc or "").splitlines()
    reader = _Reader()
    for at, line in enumerate(lines):
        opened = _heading(lines, at)
        if opened:
            reader.open(*opened)
        elif not (UNDERLINE.match(line.strip()) and at and _heading(lines, at - 1)):
            reader.line(line)
    described = {name: " ".join(part for part in parts if part) for name, parts in reader.params.items()}
    return "\n".join(reader.description).strip(), {name: text for name, text in described.items() if text}
