#!/usr/bin/env bash
# Create .venv (repository root) and install chi-llm with its dev extras. Idempotent.
# llama-cpp-python compiles from source the first time (about 10 minutes on 2 cores); the
# wheel is kept in a wheelhouse (scripts/llama_wheel.sh) so later runs and fresh clones are fast.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
  echo "chi-llm needs Python 3.10 or newer (found $("$PYTHON" --version 2>&1))" >&2
  exit 1
fi
# tmux drives the interactive commands (the setup wizard) in a real terminal in the tests.
if ! command -v tmux >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq tmux >/dev/null || (apt-get update -qq && apt-get install -y -qq tmux >/dev/null)
  elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then
    sudo apt-get install -y -qq tmux >/dev/null || echo "warning: could not install tmux; its tests will skip" >&2
  else
    echo "warning: tmux not found (install it: the terminal tests skip without it)" >&2
  fi
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}
.venv/bin/python -m pip install --quiet --upgrade pip
WHEEL=$(scripts/llama_wheel.sh .venv/bin/python)
read -r WHEELHOUSE LLAMA_PIN <<<"$WHEEL"
# The terminal UI (Rust, tui/chi-tui): maturin (pip's build backend for it) makes a wheel holding
# the `chi-tui` program, installed as the `tui` extra. Rebuilt only when its sources changed.
EXTRAS="dev,docs,rag,serve,mcp"
TUI_WHEELS=tui/chi-tui/target/wheels
FIND_TUI=()
if command -v cargo >/dev/null 2>&1; then
  if [ ! -x .venv/bin/chi-tui ] || [ ! -d "$TUI_WHEELS" ] \
    || [ -n "$(find tui/chi-tui/src tui/chi-tui/Cargo.toml tui/chi-tui/Cargo.lock -newer .venv/bin/chi-tui -print -quit)" ]; then
    rm -rf "$TUI_WHEELS"
    .venv/bin/python -m pip wheel --quiet --no-deps -w "$TUI_WHEELS" ./tui/chi-tui
    .venv/bin/python -m pip install --quiet --force-reinstall --no-deps "$TUI_WHEELS"/chi_tui-*.whl
  fi
  EXTRAS="dev,docs,rag,serve,mcp,tui"
  FIND_TUI=(--find-links "$TUI_WHEELS")
else
  echo "warning: cargo (Rust) not found: the terminal UI (chi-llm ui) is not installed; install Rust and rerun" >&2
fi
.venv/bin/python -m pip install --quiet --find-links "$WHEELHOUSE" "${FIND_TUI[@]}" -e ".[$EXTRAS]" "$LLAMA_PIN"
# Compile the package's bytecode now, as pip does for an installed wheel: with
# PYTHONDONTWRITEBYTECODE set, an editable checkout would otherwise recompile every module in
# every process (about 100 ms of each CLI start).
.venv/bin/python -m compileall -q chi_llm
