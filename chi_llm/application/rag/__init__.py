"""RAG use cases: chunking, ingest, search and grounded answers."""
