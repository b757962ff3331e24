#!/usr/bin/env bash
# Build the llama-cpp-python wheel for this machine once, into a wheelhouse, and print its folder.
#
# The version and the AMX-free variant come from scripts/llama_variant.sh. pip's own wheel cache
# cannot tell the two builds apart, so the wheel lives in a wheelhouse named after its variant and
# is installed with --find-links (pip prefers a wheel to the sdist of the same version).
set -euo pipefail
PY=${1:-python3}
. "$(dirname "$0")/llama_variant.sh"
HOUSE=${CHI_LLM_WHEELHOUSE:-$HOME/.cache/chi_llm-build/wheels}/$VARIANT
mkdir -p "$HOUSE"
if ! ls "$HOUSE"/llama_cpp_python-"$VERSION"-*.whl >/dev/null 2>&1; then
  echo "building llama-cpp-python $VERSION ($VARIANT build; about 10 minutes on 2 cores, once)" >&2
  CFLAGS="${CFLAGS:-} $FLAGS" CXXFLAGS="${CXXFLAGS:-} $FLAGS" \
    "$PY" -m pip wheel --quiet --no-deps --no-cache-dir -w "$HOUSE" "llama-cpp-python==$VERSION" >&2
fi
echo "$HOUSE llama-cpp-python==$VERSION"
