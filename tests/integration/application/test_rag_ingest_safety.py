"""Ingest under stress, on a real LanceDB folder and the fake embedder: writers to one knowledge
base take turns (two real processes racing), and large or degenerate input is ingested in bounded
memory and time (children under RLIMIT_AS)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chi_llm import MicroRAG
from tests.support.bounded import run_python_bounded
from tests.support.rag_docs import FAKE, WORDS, prose_docs, stored


@pytest.fixture
def docs(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return prose_docs(isolated, monkeypatch)


def one_clean_run(docs: Path, db: Path) -> tuple[int, dict[str, int]]:
    MicroRAG(db_path=db).add_files(str(docs))
    return stored(db)


# A child that reads the knowledge base's documents, then waits (up to 3 s) for the other child to
# have read them too: without a write lock both read an empty base and both write everything.
RACER = """
import json, sys, time
from pathlib import Path
import chi_llm.adapters.lancedb_store as lancedb_store
real = lancedb_store.LanceDbStore.documents
def documents(self):
    found = real(self)
    Path(sys.argv[2]).touch()
    deadline = time.monotonic() + 3
    while not Path(sys.argv[3]).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return found
lancedb_store.LanceDbStore.documents = documents
from chi_llm import MicroRAG
print(json.dumps(MicroRAG(db_path=sys.argv[1]).add_files(sys.argv[4]).to_json()))
"""


def test_two_processes_adding_the_same_folder_store_each_passage_once(docs: Path, isolated: Path) -> None:
    db = isolated / "kb"
    marks = [str(isolated / "read-a"), str(isolated / "read-b")]
    children = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(db), mine, other, str(docs)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        for mine, other in (marks, marks[::-1])
    ]
    reports = []
    for child in children:
        out, err = child.communicate(timeout=180)
        assert child.returncode == 0, err[-3000:]
        reports.append(json.loads(out))
    assert stored(db) == one_clean_run(docs, isolated / "clean")  # not 2x: no passage stored twice
    assert sorted(len(r["added"]) for r in reports) == [0, 6]  # one wrote, the other found it done
    assert sorted(len(r["unchanged"]) for r in reports) == [0, 6]


def test_concurrent_cli_runs_leave_no_duplicates(docs: Path, isolated: Path) -> None:
    db = str(isolated / "kb")
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "chi_llm", "rag", "add", str(docs), "--db", db, "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        for _ in range(3)
    ]
    for child in children:
        _, err = child.communicate(timeout=180)
        assert child.returncode == 0, err[-3000:]
    assert stored(Path(db)) == one_clean_run(docs, isolated / "clean")


INGEST_UNDER_A_CAP = """
import json, resource, sys
from pathlib import Path
from chi_llm import MicroRAG
folder = Path(sys.argv[1])
rag = MicroRAG(db_path=folder / "kb")
rag.add_document("Warm up: the code, LanceDB and its threads start before the cap. " * 40)
size = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
cap = size + int(sys.argv[2]) * 2**20
resource.setrlimit(resource.RLIMIT_AS, (cap, resource.getrlimit(resource.RLIMIT_AS)[1]))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
report = rag.add_files(str(folder / "words.txt"))
grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps({"chunks": report.chunks, "skipped": [s.reason for s in report.skipped], "grown_mb": grown}))
"""


def test_a_10_mb_single_line_is_ingested_in_bounded_memory(isolated: Path) -> None:
    folder = isolated / "big"
    folder.mkdir()
    line = " ".join(WORDS[(n * 7919) % len(WORDS)] for n in range(1_200_000))[:10_000_000]
    (folder / "words.txt").write_text(line)
    env = {"CHI_LLM_CONFIG": json.dumps(FAKE)}
    # 400 MiB of address space over the warmed-up process; before streaming, ingest took 25x the
    # file (250 MB) with this embedder and 160x with a real tokenizer.
    done = run_python_bounded(INGEST_UNDER_A_CAP, str(folder), "400", memory=6144 << 20, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["skipped"] == [] and result["chunks"] > 4000
    assert result["grown_mb"] < 80, result  # within 8x the file: the text, its bytes and a batch


LONG_RUNS = """
from chi_llm import MicroRAG
rag = MicroRAG(db_path="memory:")
runs = ["a" + " " * 300_000 + "b", "a" + "\\n" * 300_000 + "b", "x" * 300_000]
runs += ["# h\\n" * 80_000, "```\\n# no\\n" * 30_000]
for text in runs:
    rag.add_document(text)
print(rag.count())
"""


def test_long_runs_of_white_space_or_of_one_character_are_chunked_in_linear_time(isolated: Path) -> None:
    done = run_python_bounded(LONG_RUNS, memory=2048 << 20, timeout=120, env={"CHI_LLM_CONFIG": json.dumps(FAKE)})
    assert done.returncode == 0, done.stderr[-3000:]
    assert int(done.stdout.split()[-1]) > 5
