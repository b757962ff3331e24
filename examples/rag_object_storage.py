"""A knowledge base on S3-compatible object storage (AWS S3, MinIO, Ceph, R2...): the same calls,
a `s3://bucket/prefix` location and LanceDB storage options.

Run: CHI_LLM_S3_ENDPOINT=http://127.0.0.1:9000 CHI_LLM_S3_BUCKET=kb AWS_ACCESS_KEY_ID=... \\
     AWS_SECRET_ACCESS_KEY=... python examples/rag_object_storage.py

In a project, put the same in the configuration instead (keys stay in the environment):
    rag: {db: "s3://kb/knowledge", storage_options: {aws_endpoint: "http://127.0.0.1:9000", allow_http: "true"}}
"""

import json
import os
import sys

bucket, endpoint = os.environ.get("CHI_LLM_S3_BUCKET"), os.environ.get("CHI_LLM_S3_ENDPOINT")
if not bucket:
    sys.exit("set CHI_LLM_S3_BUCKET (and CHI_LLM_S3_ENDPOINT for a server other than AWS) and the AWS_* credentials")
options = {"aws_region": os.environ.get("AWS_REGION", "us-east-1")}
if endpoint:
    options |= {"aws_endpoint": endpoint, "allow_http": str(endpoint.startswith("http://")).lower()}
os.environ["CHI_LLM_CONFIG"] = json.dumps({"rag": {"db": f"s3://{bucket}/knowledge", "storage_options": options}})

from chi_llm import MicroRAG  # after the configuration is in place

rag = MicroRAG(name="handbook")
rag.add_documents(
    [
        {"text": "Invoices are paid within 30 days of receipt.", "id": "finance-1", "metadata": {"team": "finance"}},
        {"text": "New laptops are ordered through the IT portal.", "id": "it-1", "metadata": {"team": "it"}},
    ]
)
print("stored in", rag.db_path, "-", rag.count(), "passages")
for hit in rag.search("when are invoices paid", top_k=1, filter={"team": "finance"}):
    print("found:", hit.passage.text)
print("answer:", rag.query("When are invoices paid?"))
