"""RAG with cited sources and a persistent knowledge base.

Run: python examples/rag_sources.py
The first run fetches the embedding model (~35 MB) and the chat model once; later runs work
offline, and the knowledge base (a LanceDB folder, ./kb-example) is reused: unchanged files are
not embedded again.
"""

from pathlib import Path

from chi_llm import MicroRAG

docs = Path("example-docs")
docs.mkdir(exist_ok=True)
(docs / "garden.md").write_text(
    "# Garden\n\n## Tomatoes\n\nTomatoes need six hours of sun and water twice a week.\n\n"
    "## Shade\n\nLettuce, spinach and ferns grow well in shade.\n"
)
(docs / "car.txt").write_text("The blue car's brakes are serviced every Tuesday at the Mill Street garage.\n")

rag = MicroRAG(db_path="kb-example")
report = rag.add_files(str(docs))
print(f"added {len(report.added)}, unchanged {len(report.unchanged)}; {rag.count()} passages stored")

answer = rag.query("Which plants grow in shade?", include_sources=True)
print("answer:", answer.answer)
for number, hit in enumerate(answer.sources, 1):
    passage = hit.passage
    marker = "cited" if number in answer.cited else "     "
    print(f"[{number}] {marker} {passage.source} — {passage.heading} (chars {passage.start}-{passage.end})")

for hit in rag.search("brakes service day", top_k=1, mode="text"):
    print("full-text search:", hit.passage.text.strip())
