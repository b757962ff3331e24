"""The code blocks of the documentation (docs/**/*.md and README.md), as pytest-markdown-docs reads
them (markdown-it, CommonMark; the info string in PyMdown Superfences' brace form, which Material
renders: ```` ```{.bash synopsis} ````).

Every block runs in the tests, or says why not:
- ```` ```python ```` runs under pytest-markdown-docs (`tests/support/doc_examples.py`);
- ```` ```bash ```` / ```` ```shell ```` runs as a script in a fresh folder (tests/integration/test_doc_commands.py);
- ```` ```{.bash synopsis} ````: a command summary with `[optional]` parts and `a | b` choices:
  every `chi-llm` command and option it names must exist (checked against the click commands);
- ```` ```{.LANG notest reason="..."} ````: not runnable here, for the reason given (an API key,
  a GPU, a package install...); a `notest` without a reason fails the suite.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHELLS = ("bash", "shell", "sh", "console")
_REASON = re.compile(r'reason="([^"]+)"')


@dataclass(frozen=True)
class Fence:
    path: Path
    line: int  # 1-based, of the opening fence
    lang: str
    options: frozenset[str]
    reason: str | None
    code: str

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def parse_info(info: str) -> tuple[str, frozenset[str], str | None]:
    """(language, options, reason) of a fence's info string, plain (`bash`) or braced (`{.bash notest}`)."""
    info = info.strip()
    reason_match = _REASON.search(info)
    reason = reason_match.group(1) if reason_match else None
    info = _REASON.sub("", info)
    if info.startswith("{"):
        words = info.strip("{}").split()
        lang = next((w[1:] for w in words if w.startswith(".")), "")
        return lang, frozenset(w for w in words if not w.startswith(".")), reason
    words = info.split()
    return (words[0] if words else ""), frozenset(words[1:]), reason


def fences(path: Path) -> list[Fence]:
    from markdown_it import MarkdownIt

    found = []
    for token in MarkdownIt("commonmark").parse(path.read_text(encoding="utf-8")):
        if token.type == "fence" and token.map:
            lang, options, reason = parse_info(token.info)
            found.append(Fence(path, token.map[0] + 1, lang, options, reason, token.content))
    return found


def all_fences() -> list[Fence]:
    return [fence for path in doc_files() for fence in fences(path)]
