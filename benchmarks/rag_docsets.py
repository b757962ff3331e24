"""Two small labelled retrieval sets built offline from the documentation that installed Python
packages ship, written in BEIR layout for benchmarks/rag_quality.py:

    .venv/bin/python benchmarks/rag_docsets.py OUT_DIR     # writes OUT_DIR/readme-sections, OUT_DIR/docstrings

- `readme-sections`: every package's long description (the README in its *.dist-info/METADATA,
  Markdown or reStructuredText) cut at its headings; a section's body (its heading removed) is a
  document, and a specific heading (three words or more, used by no other section) is the query
  whose one relevant document is its section — a question -> section set like an FAQ over real
  documentation, where the query's words are often not the answer's.
- `faqs`: the plain-text FAQs the system's packages install under /usr/share/doc (lsof, sed,
  zlib, xz, procps, ...): a paragraph that is one question (ending in "?") is the query, the
  paragraphs up to the next question its one relevant document — an FAQ over real
  documentation whose answers seldom repeat the question's words.
- `docstrings`: the docstrings of the functions and classes of the installed packages; the first
  sentence is the query and the rest of the docstring the one relevant document (the "inverse
  cloze" construction), where query and document share more words.

Nothing is committed: the sets are generated from the packages installed here (their licenses
allow reading, not redistribution), so they change when the environment does; the script prints
their size. Documents and queries are capped and chosen deterministically."""

from __future__ import annotations

import argparse
import ast
import gzip
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

MAX_DOCUMENTS, MAX_QUERIES = 1500, 300
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
_RST_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+])\1{2,}\s*$")
_NUMBERING = re.compile(r"^\(?(\d+[.)]?)+\s*|^Q:?\s*")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def site_packages() -> Path:
    return next(Path(p) for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())


def long_description(metadata: Path) -> tuple[str, str]:
    """(content type, README text) of a METADATA file: the body after the headers."""
    text = metadata.read_text(errors="replace")
    head, _, body = text.partition("\n\n")
    kind = "rst" if "text/x-rst" in head or not re.search(r"text/markdown", head) else "md"
    return kind, body


def sections(kind: str, text: str) -> Iterator[tuple[str, str]]:
    """(heading, body) pairs; fenced code is body, never a heading."""
    heading, body, fenced = "", [], False
    lines = text.splitlines()
    for number, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        found = None
        if kind == "md" and not fenced:
            match = _MD_HEADING.match(line)
            found = match.group(2) if match else None
        elif kind == "rst" and number + 1 < len(lines) and line.strip() and _RST_UNDERLINE.match(lines[number + 1]):
            found = line.strip() if len(lines[number + 1].strip()) >= len(line.strip()) else None
        if found is not None:
            yield heading, "\n".join(body)
            heading, body = found, []
        elif not (kind == "rst" and _RST_UNDERLINE.match(line)):
            body.append(line)
    yield heading, "\n".join(body)


def cleaned(text: str) -> str:
    text = re.sub(r"<[^>]+>", " ", text)  # HTML tags
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # Markdown links and images
    return re.sub(r"[ \t]+", " ", text).strip()


def specific(heading: str) -> bool:
    words = [w for w in _WORD.findall(heading) if len(w) > 2]
    return len(words) >= 3


def readme_sections() -> tuple[dict[str, str], dict[str, str]]:
    documents: dict[str, str] = {}
    headings: dict[str, str] = {}
    for metadata in sorted(site_packages().glob("*.dist-info/METADATA")):
        package = metadata.parent.name.split("-")[0]
        kind, text = long_description(metadata)
        for number, (heading, body) in enumerate(sections(kind, text)):
            body = cleaned(body)
            if len(_WORD.findall(body)) < 25:
                continue
            doc_id = f"{package}#{number}"
            documents[doc_id] = body[:4000]
            if heading and specific(cleaned(heading)):
                headings[doc_id] = " ".join(cleaned(heading).replace("`", "").split())
    counts = Counter(h.lower() for h in headings.values())
    queries = {doc_id: h for doc_id, h in headings.items() if counts[h.lower()] == 1}
    return documents, queries


def faqs() -> tuple[dict[str, str], dict[str, str]]:
    documents: dict[str, str] = {}
    queries: dict[str, str] = {}
    for path in sorted(Path("/usr/share/doc").glob("*/*")):
        if "faq" not in path.name.lower() or path.suffix not in ("", ".gz", ".txt") or not path.is_file():
            continue
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", raw.decode("utf-8", "replace"))]
        question, answer = None, []
        for paragraph in [*paragraphs, "end?"]:
            asked = _NUMBERING.sub("", paragraph).lstrip(".:) ")
            if asked.endswith("?") and len(asked) <= 250:
                if question and len(_WORD.findall(" ".join(answer))) >= 25:
                    doc_id = f"{path.parent.name}/{path.name}#{len(documents)}"
                    documents[doc_id], queries[doc_id] = " ".join(answer)[:4000], question
                question, answer = asked, []
            elif question:
                answer.append(paragraph)
    counts = Counter(q.lower() for q in queries.values())
    return documents, {d: q for d, q in queries.items() if counts[q.lower()] == 1}


def docstrings() -> tuple[dict[str, str], dict[str, str]]:
    documents: dict[str, str] = {}
    queries: dict[str, str] = {}
    root = site_packages()
    for path in sorted(root.glob("*/**/*.py")):
        if "test" in path.parts[-2] or len(documents) >= 20 * MAX_DOCUMENTS:
            continue
        try:
            tree = ast.parse(path.read_text(errors="replace"))
        except (SyntaxError, ValueError, RecursionError):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            doc = ast.get_docstring(node) or ""
            summary, _, rest = doc.strip().partition("\n\n")
            summary, rest = " ".join(summary.split()), rest.strip()
            if len(_WORD.findall(summary)) < 5 or len(_WORD.findall(rest)) < 25 or ">>>" in rest[:200]:
                continue
            doc_id = f"{path.relative_to(root).as_posix()}:{node.name}"
            documents[doc_id] = rest[:4000]
            queries[doc_id] = summary
    counts = Counter(q.lower() for q in queries.values())
    bodies = Counter(documents.values())
    queries = {d: q for d, q in queries.items() if counts[q.lower()] == 1 and bodies[documents[d]] == 1}
    return documents, queries


def thinned(documents: dict[str, str], queries: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """At most MAX_QUERIES queries (every k-th, in a fixed order) and MAX_DOCUMENTS documents:
    the queries' own documents, then others as distractors."""
    asked = sorted(queries)
    step = max(1, len(asked) // MAX_QUERIES)
    kept = {d: queries[d] for d in asked[::step][:MAX_QUERIES]}
    others = [d for d in sorted(documents) if d not in kept]
    step = max(1, len(others) // max(1, MAX_DOCUMENTS - len(kept)))
    chosen = list(kept) + others[::step][: MAX_DOCUMENTS - len(kept)]
    return {d: documents[d] for d in chosen}, kept


def write_beir(folder: Path, documents: dict[str, str], queries: dict[str, str]) -> None:
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    ids = {d: f"d{n}" for n, d in enumerate(documents)}
    with (folder / "corpus.jsonl").open("w") as out:
        for doc_id, text in documents.items():
            out.write(json.dumps({"_id": ids[doc_id], "title": "", "text": text, "origin": doc_id}) + "\n")
    with (folder / "queries.jsonl").open("w") as out:
        for n, text in enumerate(queries.values()):
            out.write(json.dumps({"_id": f"q{n}", "text": text}) + "\n")
    with (folder / "qrels" / "test.tsv").open("w") as out:
        out.write("query-id\tcorpus-id\tscore\n")
        for n, doc_id in enumerate(queries):
            out.write(f"q{n}\t{ids[doc_id]}\t1\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--only", action="append", choices=["readme-sections", "faqs", "docstrings"])
    args = parser.parse_args()
    sets = {"readme-sections": readme_sections, "faqs": faqs, "docstrings": docstrings}
    for name in args.only or list(sets):
        build = sets[name]
        documents, queries = thinned(*build())
        write_beir(args.out / name, documents, queries)
        print(f"{args.out / name}: {len(documents)} documents, {len(queries)} queries")


if __name__ == "__main__":
    main()
