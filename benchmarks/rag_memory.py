"""Peak memory of RAG ingest against the size of the file ingested, each size in a fresh process
(ru_maxrss of the child, measured after a warm-up so imports and LanceDB's start are not counted
as the file's): a single line of words of 1, 10 and 50 MB, the worst case for chunking.

The embedder is the default model's real tokenizer with its vectors left out (`tokenizer`,
when the model is on disk; ONNX inference works a batch at a time, so its memory does not grow
with the file, and on a CPU it would take hours for 50 MB), or the fake embedder (`fake`).

    .venv/bin/python benchmarks/rag_memory.py [--sizes 1,10,50] [--embedder tokenizer|fake] [--cap-mb 6144]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODELS_HOME = Path.home() / ".cache" / "chi_llm-tests"  # where the test suite keeps the default model


def words_file(path: Path, megabytes: int) -> None:
    """`megabytes` MB of pseudo-words on one line (no newline, no paragraph: one document)."""
    rng = random.Random(megabytes)  # noqa: S311 - synthetic data
    vocabulary = ["".join(rng.choice("bcdfghklmnprstvwaeiou") for _ in range(rng.randint(2, 9))) for _ in range(5000)]
    target = megabytes * 1_000_000
    with path.open("w") as out:
        written = 0
        while written < target:
            piece = " ".join(rng.choices(vocabulary, k=10_000)) + " "
            piece = piece[: target - written]
            out.write(piece)
            written += len(piece)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child(path: str, embedder: str) -> None:
    config: dict[str, object] = {"provider": {"type": "fake"}, "rag": {"embedding_model": "fake"}}
    if embedder == "tokenizer":
        from chi_llm.adapters.fastembed_embedder import FastEmbedEmbedder

        def no_vectors(self: FastEmbedEmbedder, texts: list[str]) -> list[list[float]]:
            self._load()  # the model and its tokenizer are loaded as in a real ingest
            vectors = [[0.0] * self.dimension for _ in texts]
            for text, vector in zip(texts, vectors, strict=True):  # distinct unit vectors (an index trains on them)
                vector[hash(text) % self.dimension] = 1.0
            return vectors

        FastEmbedEmbedder.embed_documents = no_vectors  # type: ignore[method-assign,assignment]
        config["rag"] = {"embedding_model": "BAAI/bge-small-en-v1.5"}
    os.environ["CHI_LLM_CONFIG"] = json.dumps(config)
    from chi_llm import MicroRAG

    rag = MicroRAG(db_path=Path(path).parent / "kb")
    rag.add_document("Warm up: loads the code, the tokenizer and LanceDB before anything is measured.")
    baseline = peak_mb()
    started = time.perf_counter()
    try:
        report = rag.add_files(path)
    except MemoryError:
        print(json.dumps({"baseline": baseline, "peak": peak_mb(), "error": "MemoryError"}))
        return
    seconds = time.perf_counter() - started
    skipped = [s.reason for s in report.skipped]
    print(json.dumps({"baseline": baseline, "peak": peak_mb(), "chunks": report.chunks, "seconds": seconds,
                      "skipped": skipped}))  # fmt: skip


def measure(megabytes: int, embedder: str, cap_mb: int, work: Path) -> dict[str, object]:
    folder = work / f"mb{megabytes}"
    folder.mkdir()
    path = folder / "words.txt"
    words_file(path, megabytes)
    cap = cap_mb * 2**20

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    env = {**os.environ, "CHI_LLM_HOME": str(MODELS_HOME if embedder == "tokenizer" else work / "home")}
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(path), "--embedder", embedder],
        capture_output=True, text=True, env=env, preexec_fn=limit, timeout=3600,
    )  # fmt: skip
    last = done.stdout.strip().splitlines()[-1:] or [""]
    try:
        result: dict[str, object] = json.loads(last[0])
    except ValueError:
        result = {"error": f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"}
    path.unlink()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,10,50", help="file sizes in MB")
    parser.add_argument("--embedder", choices=["tokenizer", "fake"])
    parser.add_argument("--cap-mb", type=int, default=6144, help="address-space cap of each child (RLIMIT_AS)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    have_model = (MODELS_HOME / "embeddings" / "BAAI--bge-small-en-v1.5" / "model.onnx").is_file()
    embedder = args.embedder or ("tokenizer" if have_model else "fake")
    if args.child:
        child(args.child, embedder)
        return
    print(f"RAG ingest peak RSS, one single-line file per fresh process ({embedder} embedder, "
          f"{os.cpu_count()} CPUs, address space capped at {args.cap_mb} MiB)")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        for megabytes in [int(s) for s in args.sizes.split(",")]:
            result = measure(megabytes, embedder, args.cap_mb, Path(folder))
            if "error" in result:
                print(f"{megabytes:>3} MB: failed ({result['error']}); peak {result.get('peak', '?')} MB")
                continue
            peak, baseline = float(result["peak"]), float(result["baseline"])  # type: ignore[arg-type]
            print(f"{megabytes:>3} MB: peak RSS {peak:7.0f} MB (after warm-up {baseline:4.0f} MB; "
                  f"growth {peak - baseline:6.0f} MB = {(peak - baseline) / megabytes:5.1f}x the file), "
                  f"{result['chunks']} chunks in {float(result['seconds']):.1f} s")  # type: ignore[arg-type]  # fmt: skip


if __name__ == "__main__":
    main()
