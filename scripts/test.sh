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
# The terminal UI: formatting, lints as errors, unit + snapshot + protocol-fixture tests.
if command -v cargo >/dev/null 2>&1; then
  (cd tui/chi-tui && cargo fmt --check && cargo clippy --all-targets --locked -- -D warnings \
    && INSTA_UPDATE=no cargo test --locked)
fi
.venv/bin/pytest "$@"
