#!/usr/bin/env bash
# Build the llama-cpp-python wheel for this machine once, into a wheelhouse, and print its folder.
#
# On CPUs with Intel AMX (Sapphire Rapids and later) ggml's native build enables its AMX matmul
# path, which crashes (SIGSEGV in the first decode; upstream llama.cpp issue 20824). There the
# wheel is built with AMX switched off (-mno-amx-*: GCC honours explicit ISA flags over
# -march=native); every other SIMD feature of the machine stays on. pip's own wheel cache cannot
# tell the two builds apart, so the wheel lives in a wheelhouse named after its variant and is
# installed with --find-links (pip prefers a wheel to the sdist of the same version).
set -euo pipefail
PY=${1:-python3}
VERSION=${LLAMA_CPP_VERSION:-0.3.36}  # the version the test suite and benchmarks are run on
VARIANT=default
FLAGS=""
if [ "$(uname -m)" = x86_64 ] && grep -qw amx_int8 /proc/cpuinfo 2>/dev/null; then
  VARIANT=no-amx
  FLAGS="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
fi
HOUSE=${CHI_LLM_WHEELHOUSE:-$HOME/.cache/chi_llm-build/wheels}/$VARIANT
mkdir -p "$HOUSE"
if ! ls "$HOUSE"/llama_cpp_python-"$VERSION"-*.whl >/dev/null 2>&1; then
  echo "building llama-cpp-python $VERSION ($VARIANT build; about 10 minutes on 2 cores, once)" >&2
  CFLAGS="${CFLAGS:-} $FLAGS" CXXFLAGS="${CXXFLAGS:-} $FLAGS" \
    "$PY" -m pip wheel --quiet --no-deps --no-cache-dir -w "$HOUSE" "llama-cpp-python==$VERSION" >&2
fi
echo "$HOUSE llama-cpp-python==$VERSION"
