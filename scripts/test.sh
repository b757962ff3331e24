#!/usr/bin/env bash
# The whole test suite: lint, formatting, types, import contracts, unit and contract tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ruff check chi_llm tests benchmarks examples
.venv/bin/ruff format --check chi_llm tests benchmarks examples
.venv/bin/mypy
.venv/bin/mypy --strict examples
.venv/bin/lint-imports
.venv/bin/pytest "$@"
