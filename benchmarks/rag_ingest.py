"""RAG throughput, in one run on this machine:

1. Ingest: raw fastembed embedding of a set of texts (the default model, fastembed's own default
   batching) against `MicroRAG.add_files` on the same texts written as files, end to end (reading,
   chunking, hashing, embedding, LanceDB writes). Goal: ours >= 0.9 of raw throughput.
2. Query latency (p50/p95, hybrid, including the query's embedding) at 1k, 10k and 100k chunks;
   the stores are filled with synthetic vectors and texts. Goal: p95 <= 50 ms.

    .venv/bin/python benchmarks/rag_ingest.py [--corpus ../shared/data/cranfield/corpus.jsonl] [--docs 200]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from chi_llm import MicroRAG
from chi_llm.adapters.lancedb_store import LanceDbStore
from chi_llm.domain.rag import Passage


def _vocabulary(size: int = 20000) -> list[str]:
    """Pseudo-words; drawn with Zipf-like weights (a few common, most rare), as in real text."""
    rng = random.Random(7)  # noqa: S311 - synthetic data, not security
    return ["".join(rng.choice("bcdfghklmnprstvwaeiou") for _ in range(rng.randint(3, 9))) for _ in range(size)]


VOCABULARY = _vocabulary()
WEIGHTS = [1 / (rank + 1) for rank in range(len(VOCABULARY))]


def ingest(texts: list[str], work: Path) -> tuple[float, float, float, int]:
    """Seconds for raw fastembed (default batching, then one text at a time) to embed exactly the
    passages MicroRAG makes of `texts`, and for MicroRAG.add_files on those texts as files."""
    from fastembed import TextEmbedding

    rag = MicroRAG(db_path=work / "kb", name="ingest")
    rag.add_document("Warm up: loads the models and LanceDB's code before anything is timed.")
    embedder = rag._rag.embedder
    passages = [p.text for t in texts for p in rag._rag.ingestor.passages(t, "d", "d", {})]
    folder = embedder._files.folder_for(embedder._spec)  # the same pinned model files
    raw_model = TextEmbedding("chi-llm/BAAI/bge-small-en-v1.5", specific_model_path=str(folder))
    list(raw_model.embed(passages[:4]))
    started = time.perf_counter()
    list(raw_model.embed(passages))
    raw = time.perf_counter() - started
    started = time.perf_counter()
    list(raw_model.embed(passages, batch_size=1))  # its fastest setting on a CPU (no padding computed)
    raw_best = time.perf_counter() - started
    docs = work / "docs"
    docs.mkdir()
    for number, text in enumerate(texts):
        (docs / f"doc{number:05d}.txt").write_text(text)
    started = time.perf_counter()
    report = rag.add_files(str(docs))
    ours = time.perf_counter() - started
    assert report.chunks == len(passages), (report.chunks, len(passages))
    return raw, raw_best, ours, len(passages)


def fill(store: LanceDbStore, size: int, dimension: int) -> None:
    rng = random.Random(size)  # noqa: S311 - synthetic data
    store.open(model_id="BAAI/bge-small-en-v1.5", dimension=dimension)
    batch = 5000
    for first in range(0, size, batch):
        passages, vectors = [], []
        for number in range(first, min(size, first + batch)):
            text = " ".join(rng.choices(VOCABULARY, WEIGHTS, k=60))
            document_id = f"doc{number}"
            passages.append(Passage(id=f"{document_id}#0", document_id=document_id, source=document_id, index=0,
                                    start=0, end=len(text), text=text))  # fmt: skip
            vector = [rng.gauss(0, 1) for _ in range(dimension)]
            norm = sum(v * v for v in vector) ** 0.5
            vectors.append([v / norm for v in vector])
        store.add(passages, vectors, {p.document_id: "synthetic" for p in passages})


def latency(sizes: list[int], work: Path, queries: list[str]) -> dict[int, tuple[float, float, bool]]:
    rag = MicroRAG(db_path=work / "latency", name="unused")
    service = rag._rag
    out = {}
    for size in sizes:
        store = LanceDbStore(str(work / "latency"), f"synthetic{size}")
        fill(store, size, service.embedder.dimension)
        service.store = store  # hybrid search as answers do it: two store searches, fused
        service.search("warm", 5, mode="hybrid")
        times = []
        for query in queries:
            started = time.perf_counter()
            service.search(query, 5, mode="hybrid")
            times.append(time.perf_counter() - started)
        times.sort()
        out[size] = (statistics.median(times), times[int(0.95 * (len(times) - 1))], store.info().vector_index)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=Path("../shared/data/cranfield/corpus.jsonl"))
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--only", choices=["ingest", "latency"], help="run one part")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.corpus.read_text().splitlines() if line.strip()]
    texts = [r["text"] for r in rows if r["text"].strip()][: args.docs]
    queries = [" ".join(random.Random(i).choices(VOCABULARY, WEIGHTS, k=8)) for i in range(60)]  # noqa: S311
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        if args.only != "latency":
            report_ingest(texts, work)
        if args.only == "ingest":
            return
        for size, (p50, p95, indexed) in latency([int(s) for s in args.sizes.split(",")], work, queries).items():
            print(f"hybrid query at {size:>6} chunks (query embedding included): p50 {p50 * 1000:.1f} ms, "
                  f"p95 {p95 * 1000:.1f} ms{' (vector index)' if indexed else ''} — goal p95 <= 50 ms")  # fmt: skip


def report_ingest(texts: list[str], work: Path) -> None:
    raw, raw_best, ours, chunks = ingest(texts, work)
    words = sum(len(t.split()) for t in texts) / len(texts)
    print(f"ingest {len(texts)} texts (~{words:.0f} words, {chunks} passages): raw fastembed embedding those "
          f"passages {chunks / raw:.1f}/s with its default batching, {chunks / raw_best:.1f}/s one at a time; "
          f"MicroRAG.add_files end to end {chunks / ours:.1f}/s — ratio to raw's best {raw_best / ours:.2f} "
          "(goal >= 0.9)")  # fmt: skip


if __name__ == "__main__":
    main()
