"""Retrieval quality of MicroRAG on a BEIR-layout folder (corpus.jsonl, queries.jsonl, qrels/test.tsv):
nDCG@10 and recall@10 for vector, full-text and hybrid search, then hybrid's fusion compared:
the old equal-weight reciprocal-rank fusion, and the convex combination at several dense weights,
also against a text ranking that is noise (another query's), the worst a lexical ranking can be.

    .venv/bin/python benchmarks/rag_quality.py ../shared/data/cranfield [--limit-queries N]
    .venv/bin/python benchmarks/rag_docsets.py /tmp/sets   # three more labelled sets, built offline

Documents are ingested once through MicroRAG (chunked, embedded with the default model, stored in
LanceDB) into a cache folder reused by later runs; each query is embedded once and searched in the
three modes. A document's rank is that of its best passage."""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

from chi_llm import MicroRAG
from chi_llm.application.rag.fusion import CANDIDATES, fuse
from chi_llm.domain.rag import Hit

K = 10
WEIGHTS = (0.5, 0.6, 0.7, 0.8, 0.9)
RRF_K = 60  # LanceDB's RRFReranker, which hybrid search used before


def reciprocal_rank(dense: list[Hit], lexical: list[Hit], k: int) -> list[Hit]:
    """The old hybrid: equal-weight RRF over the top k of each ranking (as LanceDB's hybrid query did)."""
    fused: dict[str, float] = {}
    hits: dict[str, Hit] = {}
    for ranking in (dense[:k], lexical[:k]):
        for rank, hit in enumerate(ranking):
            fused[hit.passage.id] = fused.get(hit.passage.id, 0.0) + 1.0 / (RRF_K + rank + 1)
            hits.setdefault(hit.passage.id, hit)
    return [hits[p] for p in sorted(fused, key=lambda p: -fused[p])[:k]]


def read_jsonl(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    judged: dict[str, dict[str, int]] = {}
    for line in path.read_text().splitlines()[1:]:
        query, doc, score = line.split("\t")
        if int(score) > 0:
            judged.setdefault(query, {})[doc] = int(score)
    return judged


def ndcg(ranked: list[str], relevant: dict[str, int], k: int = K) -> float:
    gain = sum((2 ** relevant.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(sorted(relevant.values(), reverse=True)[:k]))
    return gain / ideal if ideal else 0.0


def recall(ranked: list[str], relevant: dict[str, int], k: int = K) -> float:
    return len(set(ranked[:k]) & set(relevant)) / len(relevant) if relevant else 0.0


def documents_ranked(hits: list, k: int = K) -> list[str]:  # type: ignore[type-arg]
    seen: dict[str, None] = {}
    for hit in hits:
        seen.setdefault(hit.passage.document_id, None)
    return list(seen)[:k]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--limit-queries", type=int, default=0)
    parser.add_argument("--db", type=Path, default=Path.home() / ".cache" / "chi_llm-bench" / "rag")
    args = parser.parse_args()
    corpus = read_jsonl(args.folder / "corpus.jsonl")
    queries = read_jsonl(args.folder / "queries.jsonl")
    judged = read_qrels(args.folder / "qrels" / "test.tsv")
    queries = [q for q in queries if q["_id"] in judged][: args.limit_queries or None]
    rag = MicroRAG(db_path=args.db, name=f"beir-{args.folder.name}")
    if rag.count() == 0:
        started = time.perf_counter()
        texts = {d["_id"]: f"{d.get('title', '')}\n\n{d['text']}".strip() for d in corpus}
        documents = [{"text": text, "id": doc_id} for doc_id, text in texts.items() if text]  # a few are empty
        rag.add_documents(documents)
        print(f"ingested {len(corpus)} documents ({rag.count()} passages) in {time.perf_counter() - started:.0f} s")
    rag_service = rag._rag
    vectors = {q["_id"]: rag_service.embedder.embed_query(q["text"]) for q in queries}
    results = {}
    for mode in ("text", "vector", "hybrid"):
        scores_ndcg, scores_recall, latency = [], [], []
        for query in queries:
            started = time.perf_counter()
            hits = rag_service._search(query["text"], 3 * K, None, mode, vectors[query["_id"]])
            latency.append(time.perf_counter() - started)
            ranked = documents_ranked(hits)
            scores_ndcg.append(ndcg(ranked, judged[query["_id"]]))
            scores_recall.append(recall(ranked, judged[query["_id"]]))
        results[mode] = (statistics.mean(scores_ndcg), statistics.mean(scores_recall), statistics.median(latency))
    model = rag.info().embedding_model
    print(f"{args.folder.name}: {len(corpus)} documents, {len(queries)} judged queries, model {model}")
    print(f"{'mode':8} {'nDCG@10':>8} {'recall@10':>10} {'p50 ms':>8}")
    for mode, (n, r, lat) in results.items():
        print(f"{mode:8} {n:8.3f} {r:10.3f} {lat * 1000:8.1f}")
    sys.stdout.flush()
    compare_fusions(rag_service, queries, vectors, judged, max(results["text"][0], results["vector"][0]))
    similarity_of_relevant(rag_service, queries, vectors, judged, rag.count())


def compare_fusions(rag_service, queries, vectors, judged, best_single: float) -> None:  # type: ignore[no-untyped-def]
    """nDCG@10 of each fusion from the same two candidate lists per query; with `noise`, each
    query's text ranking is another query's (a lexical ranking that carries no information)."""
    lists, noise = [], []
    for number, query in enumerate(queries):
        vector = vectors[query["_id"]]
        dense = rag_service.store.search(vector=vector, text=None, k=CANDIDATES, mode="vector")
        lexical = rag_service.store.search(vector=vector, text=query["text"], k=CANDIDATES, mode="text")
        other = queries[(number + 7) % len(queries)]["text"]
        lists.append((dense, lexical))
        noise.append((dense, rag_service.store.search(vector=vector, text=other, k=CANDIDATES, mode="text")))

    def score(fusion, pairs) -> float:  # type: ignore[no-untyped-def]
        return statistics.mean(
            ndcg(documents_ranked(fusion(d, lx)), judged[q["_id"]]) for q, (d, lx) in zip(queries, pairs, strict=True)
        )

    rows = [("reciprocal rank (old hybrid)", lambda d, lx: reciprocal_rank(d, lx, 3 * K))]
    rows += [(f"convex, dense weight {w}", lambda d, lx, w=w: fuse(d, lx, k=3 * K, dense_weight=w)) for w in WEIGHTS]
    print(f"\n{'fusion':30} {'nDCG@10':>8} {'vs best single':>15} {'text = noise':>13}")
    for name, fusion in rows:
        value = score(fusion, lists)
        print(f"{name:30} {value:8.3f} {value - best_single:+15.3f} {score(fusion, noise):13.3f}")
    print(f"{'vector alone':30} {score(lambda d, lx: d, lists):8.3f}")
    sys.stdout.flush()


def similarity_of_relevant(rag_service, queries, vectors, judged, passages: int) -> None:  # type: ignore[no-untyped-def]
    """Where the relevance cutoff (min_score) can go: each relevant document's best passage's
    cosine similarity to its query, against every passage of the documents not judged relevant."""
    relevant: list[float] = []
    other: list[float] = []
    for query in queries:
        best: dict[str, float] = {}
        for hit in rag_service.store.search(vector=vectors[query["_id"]], text=None, k=passages, mode="vector"):
            if hit.passage.document_id in judged[query["_id"]]:
                best.setdefault(hit.passage.document_id, hit.score)
            else:
                other.append(hit.score)
        relevant.extend(best.values())
    relevant.sort()
    other.sort()

    def at(values: list[float], share: float) -> float:
        return values[min(len(values) - 1, int(share * len(values)))]

    print(
        f"\ncosine similarity: relevant p1 {at(relevant, 0.01):.3f} p5 {at(relevant, 0.05):.3f} median "
        f"{at(relevant, 0.5):.3f}; not relevant median {at(other, 0.5):.3f} p95 {at(other, 0.95):.3f}"
    )
    for cutoff in (0.5, 0.55, 0.6, 0.65):
        kept = sum(v >= cutoff for v in relevant) / len(relevant)
        dropped = sum(v < cutoff for v in other) / len(other)
        print(f"min_score {cutoff}: keeps {kept:.1%} of relevant documents, drops {dropped:.1%} of other passages")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
