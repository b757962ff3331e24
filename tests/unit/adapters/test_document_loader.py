"""FileLoader: what is found (globs, folders, .gitignore, hidden folders, include/exclude) and
what is read (text kinds, HTML text, PDF text; binary, empty, unreadable and odd files skipped)."""

from __future__ import annotations

from pathlib import Path

from chi_llm.adapters.document_loader import FileLoader, html_text
from chi_llm.domain.rag import LoadedFile, SkippedFile

# A one-page PDF whose content stream draws "Hello PDF world" (hand-written; offsets computed below).
_OBJECTS = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    None,  # the content stream
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
]


def pdf_bytes(text: str) -> bytes:
    stream = f"BT /F1 18 Tf 20 100 Td ({text}) Tj ET".encode()
    objects = list(_OBJECTS)
    objects[3] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + (body or b"") + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def tree(root: Path) -> Path:
    (root / "docs" / "sub").mkdir(parents=True)
    (root / "docs" / ".hidden").mkdir()
    (root / "docs" / "build").mkdir()
    (root / "docs" / "a.md").write_text("# A\n\ntext a\n")
    (root / "docs" / "sub" / "b.py").write_text("def b():\n    return 1\n")
    (root / "docs" / "sub" / "notes.log").write_text("log line\n")
    (root / "docs" / ".hidden" / "secret.md").write_text("hidden\n")
    (root / "docs" / "build" / "out.txt").write_text("generated\n")
    (root / "docs" / ".gitignore").write_text("build/\n*.log\n")
    return root / "docs"


def names(paths: list[Path]) -> list[str]:
    return sorted(p.name for p in paths)


def test_folders_are_walked_honouring_gitignore_and_skipping_hidden(tmp_path: Path) -> None:
    docs = tree(tmp_path)
    found, skipped = FileLoader().find([str(docs)])
    assert names(found) == ["a.md", "b.py"] and skipped == []


def test_globs_include_exclude_and_missing_paths(tmp_path: Path) -> None:
    docs = tree(tmp_path)
    loader = FileLoader()
    assert names(loader.find([f"{docs}/**/*.py"])[0]) == ["b.py"]
    assert names(loader.find([str(docs)], include=["*.md"])[0]) == ["a.md"]
    assert names(loader.find([str(docs)], exclude=["sub/*"])[0]) == ["a.md"]
    found, skipped = loader.find([str(docs / "nope"), f"{docs}/*.xyz"])
    assert found == [] and [s.reason for s in skipped] == ["no such file or folder", "no file matches this pattern"]


def test_kinds_are_read_as_text(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(
        "<html><head><title>T</title><style>p{}</style></head><body><h1>Title</h1><p>Hello&amp;bye</p>"
        "<script>var x;</script></body></html>"
    )
    (tmp_path / "doc.pdf").write_bytes(pdf_bytes("Hello PDF world"))
    (tmp_path / "bom.txt").write_bytes("\ufeffcafé\n".encode())
    loader = FileLoader()
    page = loader.load(tmp_path / "page.html")
    assert isinstance(page, LoadedFile) and page.kind == "html" and page.text == "# Title\n\nHello&bye\n"
    pdf = loader.load(tmp_path / "doc.pdf")
    assert isinstance(pdf, LoadedFile) and pdf.kind == "pdf" and "Hello PDF world" in pdf.text
    bom = loader.load(tmp_path / "bom.txt")
    assert isinstance(bom, LoadedFile) and bom.text == "café\n"


def test_files_that_cannot_be_used_are_skipped_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01\x02")
    (tmp_path / "latin.txt").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / "empty.md").write_text("  \n")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    (tmp_path / "locked.txt").write_text("x")
    loader = FileLoader()
    reasons = {name: loader.load(tmp_path / name) for name in ("blob.bin", "latin.txt", "empty.md", "broken.pdf")}
    assert all(isinstance(r, SkippedFile) for r in reasons.values())
    assert [r.reason.split(" ")[0] for r in reasons.values()] == ["binary", "not", "empty", "unreadable"]  # type: ignore[union-attr]
    assert isinstance(loader.load(tmp_path / "gone.txt"), SkippedFile)


def test_html_text_drops_markup() -> None:
    assert html_text("<div>a<br>b</div><noscript>x</noscript>") == "a\nb\n"


def test_an_unreadable_file_is_skipped(tmp_path: Path) -> None:
    folder = FileLoader().load(tmp_path)  # a folder given as a file cannot be read, even by root
    assert isinstance(folder, SkippedFile) and folder.reason.startswith("unreadable")
