"""FileLoader: what is found (globs, folders, .gitignore, hidden folders, include/exclude) and
what is read (text kinds, HTML text, PDF text; binary, empty, unreadable and odd files skipped)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chi_llm.adapters.document_loader import FileLoader, html_text
from chi_llm.domain.rag import LoadedFile, SkippedFile
from tests.support.bounded import within
from tests.support.fs import names

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


def test_folders_are_walked_honouring_gitignore_and_skipping_hidden(tmp_path: Path) -> None:
    docs = tree(tmp_path)
    result = FileLoader().find([str(docs)])
    found, skipped = result.files, result.skipped
    assert names(found) == ["a.md", "b.py"] and skipped == ()


def test_globs_include_exclude_and_missing_paths(tmp_path: Path) -> None:
    docs = tree(tmp_path)
    loader = FileLoader()
    assert names(loader.find([f"{docs}/**/*.py"]).files) == ["b.py"]
    assert names(loader.find([str(docs)], include=["*.md"]).files) == ["a.md"]
    assert names(loader.find([str(docs)], exclude=["sub/*"]).files) == ["a.md"]
    result = loader.find([str(docs / "nope"), f"{docs}/*.xyz"])
    found, skipped = result.files, result.skipped
    assert found == () and [s.reason for s in skipped] == ["no such file or folder", "no file matches this pattern"]


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
    assert isinstance(folder, SkippedFile) and folder.reason == "not a regular file (a folder)"
    (tmp_path / "dangling.md").symlink_to(tmp_path / "gone.md")
    assert names(FileLoader().find([str(tmp_path / "dangling.md")]).files) == ["dangling.md"]
    dangling = FileLoader().load(tmp_path / "dangling.md")
    assert isinstance(dangling, SkippedFile) and dangling.reason == "unreadable (No such file or directory)"


def test_a_fifo_in_a_folder_is_skipped_without_waiting_for_a_writer(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("# Notes\n\nreal text\n")
    os.mkfifo(tmp_path / "pipe.txt")
    loader = FileLoader()
    result = loader.find([str(tmp_path)])
    found, skipped = result.files, result.skipped
    assert names(found) == ["notes.md", "pipe.txt"] and skipped == ()
    with within(5):  # an ordinary open() of a FIFO with no writer waits forever
        pipe = loader.load(tmp_path / "pipe.txt")
    assert isinstance(pipe, SkippedFile) and pipe.reason == "not a regular file (a FIFO)"
    named = loader.find([str(tmp_path / "pipe.txt")])  # named on its own: reported, not "no such file"
    assert names(named.files) == ["pipe.txt"] and named.skipped == ()


def test_a_socket_in_a_folder_is_skipped_saying_what_it_is(tmp_path: Path) -> None:
    import socket

    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind(str(tmp_path / "server.sock"))
        found = FileLoader().find([str(tmp_path)]).files
        assert names(found) == ["server.sock"]
        skipped = FileLoader().load(found[0])
    assert isinstance(skipped, SkippedFile) and skipped.reason == "not a regular file (a socket)"


def test_a_file_larger_than_the_limit_is_skipped_and_read_no_further(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import chi_llm.adapters.document_loader as document_loader

    monkeypatch.setattr(document_loader, "MAX_BYTES", 1000)
    (tmp_path / "big.txt").write_text("word " * 201)  # 1005 bytes
    (tmp_path / "fits.txt").write_text("word " * 200)  # 1000 bytes: the limit itself is accepted
    big = FileLoader().load(tmp_path / "big.txt")
    assert isinstance(big, SkippedFile) and big.reason.startswith("larger than")
    fits = FileLoader().load(tmp_path / "fits.txt")
    assert isinstance(fits, LoadedFile) and len(fits.text) == 1000


def test_a_file_that_grows_past_the_limit_while_read_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import chi_llm.adapters.document_loader as document_loader

    monkeypatch.setattr(document_loader, "MAX_BYTES", 1000)
    growing = tmp_path / "log.txt"
    growing.write_text("start\n")
    real_fstat = os.fstat

    def fstat_then_grow(fd: int) -> os.stat_result:  # the size seen, then the file grows
        seen = real_fstat(fd)
        with growing.open("a") as more:
            more.write("x" * 5000)
        return seen

    monkeypatch.setattr(os, "fstat", fstat_then_grow)
    grown = FileLoader().load(growing)
    assert isinstance(grown, SkippedFile) and grown.reason.startswith("larger than")
