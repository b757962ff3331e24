"""Files to ingest: folders walked and globs expanded as folder_walk.py says (hidden entries, what
git ignores and build output left out), and text read from plain text, Markdown, reST, code, HTML
and PDF (pypdf)."""

from __future__ import annotations

import fnmatch
import io
import os
from collections.abc import Mapping, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from chi_llm.adapters.folder_walk import FolderWalk
from chi_llm.adapters.regular_files import Refusal, read_regular
from chi_llm.domain.ports import DocumentLoader
from chi_llm.domain.rag import FoundFiles, LoadedFile, SkippedFile

MAX_BYTES = 64 * 1024 * 1024
KINDS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".rst": "rst",
    ".txt": "text",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}
CODE = frozenset(
    [
        ".py",
        ".js",
        ".ts",
        ".tsx",
        ".jsx",
        ".java",
        ".go",
        ".rs",
        ".c",
        ".h",
        ".cpp",
        ".hpp",
        ".cs",
        ".rb",
        ".php",
        ".swift",
        ".kt",
        ".scala",
        ".sh",
        ".sql",
        ".toml",
        ".yaml",
        ".yml",
        ".json",
        ".ini",
        ".cfg",
    ]
)


class _Text(HTMLParser):
    """The visible text of an HTML page (no scripts, styles or tags)."""

    SKIP = frozenset({"script", "style", "noscript", "template", "head"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.SKIP:
            self._skipping += 1
        elif tag in ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article"):
            self.parts.append("\n")
            if tag[0] == "h" and tag[1:].isdigit():
                self.parts.append("#" * int(tag[1:]) + " ")  # keeps headings for chunking

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1
        elif tag in ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article"):
            self.parts.append("\n\n" if tag[0] == "h" or tag == "p" else "\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup)
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip() + "\n"


class FileLoader(DocumentLoader):
    """`env`: the environment git's configuration is found through (HOME, XDG_CONFIG_HOME, GIT_CONFIG_*)."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.env = os.environ if env is None else env

    def find(self, paths: Sequence[str], include: Sequence[str] = (), exclude: Sequence[str] = ()) -> FoundFiles:
        walk = FolderWalk(self.env)
        found: list[Path] = []
        for raw in paths:
            path = Path(os.path.expanduser(raw))
            if any(ch in raw for ch in "*?["):
                matches = walk.matches(os.path.expanduser(raw))  # what is not a regular file is reported
                if matches is None:
                    walk.skipped.append(SkippedFile(path=raw, reason="no file matches this pattern"))
                found += matches or []
            elif path.is_dir():
                found += walk.folder(path.absolute())
            elif path.exists() or path.is_symlink():  # a FIFO, a device, a broken link: load() says why
                found.append(path)
            else:
                walk.skipped.append(SkippedFile(path=raw, reason="no such file or folder"))
        chosen = [p for p in dict.fromkeys(p.absolute() for p in found) if _wanted(p, include, exclude)]
        return FoundFiles(files=tuple(chosen), skipped=tuple(walk.skipped), build_output=walk.build_output)

    def load(self, path: Path) -> LoadedFile | SkippedFile:
        try:
            data = read_regular(path, MAX_BYTES)
        except OSError as exc:
            return SkippedFile(path=str(path), reason=f"unreadable ({exc.strerror or exc})")
        if isinstance(data, Refusal):
            return SkippedFile(path=str(path), reason=str(data))
        suffix = path.suffix.lower()
        if suffix == ".pdf":
            return self._pdf(path, data)
        if b"\0" in data[:8192]:
            return SkippedFile(path=str(path), reason="binary")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return SkippedFile(path=str(path), reason="not UTF-8 text")
        del data  # the text alone from here on (a large file is not held twice)
        kind = KINDS.get(suffix, "code" if suffix in CODE else "text")
        if kind == "html":
            text = html_text(text)
        if not text.strip():
            return SkippedFile(path=str(path), reason="empty")
        return LoadedFile(path=str(path), text=text, kind=kind)

    @staticmethod
    def _pdf(path: Path, data: bytearray) -> LoadedFile | SkippedFile:
        try:
            from pypdf import PdfReader
            from pypdf.errors import PdfReadError
        except ImportError:
            return SkippedFile(path=str(path), reason="PDF support needs pypdf: pip install 'chi-llm[rag]'")
        try:
            pages = [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]
        except (PdfReadError, OSError, ValueError, KeyError) as exc:
            return SkippedFile(path=str(path), reason=f"unreadable PDF ({exc})")
        text = "\n\n".join(p.strip() for p in pages if p.strip())
        if not text:
            return SkippedFile(path=str(path), reason="no text in the PDF (scanned images need OCR first)")
        return LoadedFile(path=str(path), text=text + "\n", kind="pdf")


def _wanted(path: Path, include: Sequence[str], exclude: Sequence[str]) -> bool:
    text = str(path)

    def hit(pattern: str) -> bool:
        return (
            fnmatch.fnmatch(text, pattern)
            or fnmatch.fnmatch(path.name, pattern)
            or fnmatch.fnmatch(text, f"*/{pattern}")
        )

    return (not include or any(hit(p) for p in include)) and not any(hit(p) for p in exclude)
