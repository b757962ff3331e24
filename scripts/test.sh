#!/usr/bin/env bash
# The test suite. Extra arguments go to pytest.
#   scripts/test.sh          everything: setup, lint, formatting, types, import contracts, the terminal
#                            UI (cargo), the documentation site (mkdocs --strict), and every tier (tests/unit, contract, integration, e2e),
#                            listing the 25 slowest tests. CI runs this (.ci/run).
#   scripts/test.sh --fast   the edit loop: lint, formatting, types, import contracts and tests/unit
#                            (in-process: no real model, no subprocess; property tests with a fifth
#                            of their examples); no setup unless .venv is
#                            missing, no cargo. Under 2 minutes on 2 cores once mypy's cache is warm.
set -euo pipefail
cd "$(dirname "$0")/.."
fast=false
if [ "${1:-}" = "--fast" ]; then
  fast=true
  shift
fi
if ! $fast || [ ! -x .venv/bin/python ]; then
  scripts/setup.sh
fi
.venv/bin/ruff check chi_llm tests benchmarks examples scripts
.venv/bin/ruff format --check chi_llm tests benchmarks examples scripts
.venv/bin/mypy
.venv/bin/mypy --strict examples
.venv/bin/lint-imports
if $fast; then
  # a fifth of the property tests' examples (tests/conftest.py); the full run keeps them all
  CHI_LLM_HYPOTHESIS_PROFILE=chi_llm-fast exec .venv/bin/pytest tests/unit "$@"
fi
# The terminal UI: formatting, lints as errors, unit + snapshot + protocol-fixture tests.
if command -v cargo >/dev/null 2>&1; then
  (cd tui/chi-tui && cargo fmt --check && cargo clippy --all-targets --locked -- -D warnings \
    && INSTA_UPDATE=no cargo test --locked)
fi
# The documentation site, strictly: a broken link, a page missing from the navigation or a
# reference to a symbol that no longer exists fails the run (scripts/docs.sh for writers).
NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict -q
# The documentation's Python examples and the docstrings' examples of the library API, on the
# embedded model (pytest-markdown-docs; the shell blocks run in tests/integration/docs). A block
# that cannot run here says why: {.python notest reason="..."}.
.venv/bin/python -m pytest -p tests.support.doc_examples --markdown-docs --markdown-docs-syntax=superfences \
  docs README.md chi_llm/entrypoints/facade.py chi_llm/entrypoints/rag.py chi_llm/entrypoints/templates.py
.venv/bin/pytest --durations=25 "$@"
