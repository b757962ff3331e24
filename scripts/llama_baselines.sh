#!/usr/bin/env bash
# Build llama.cpp's own `llama-server` and `llama-batched-bench` once, from the llama.cpp sources
# vendored in the pinned llama-cpp-python release (the same version and AMX-free variant as the
# wheel: scripts/llama_variant.sh), into a cache folder, and print that folder. They are the
# baselines of benchmarks/bench_batching.py (part `serve`) and the batching headroom of issue 26.
#
# Usage: scripts/llama_baselines.sh [--dry-run] [PYTHON]
#   PYTHON     the interpreter whose pip downloads the sdist (default python3)
#   --dry-run  print the version, variant, folder and cmake options, and build nothing
# Environment: CHI_LLM_BASELINES (cache root, default ~/.cache/chi_llm-build/llama-bin),
#   LLAMA_CPP_VERSION (default: the pinned one), LLAMA_CPP_SDIST (a downloaded sdist .tar.gz to
#   use instead of downloading), JOBS (parallel compile jobs, default 2).
# The programs are linked statically (no shared libraries to carry) and built without the web UI
# and without HTTPS (nothing is fetched at build time). About 10 minutes on 2 cores, once.
set -euo pipefail
DRY=0
PY=python3
for arg in "$@"; do
  case "$arg" in
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --dry-run) DRY=1 ;;
    -*) echo "unknown option $arg (see --help)" >&2; exit 2 ;;
    *) PY=$arg ;;
  esac
done
. "$(dirname "$0")/llama_variant.sh"
DEST=${CHI_LLM_BASELINES:-$HOME/.cache/chi_llm-build/llama-bin}/$VERSION-$VARIANT
TARGETS=(llama-server llama-batched-bench)
CMAKE_OPTIONS=(
  -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=ON
  -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF
  -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON
)
built() { for t in "${TARGETS[@]}"; do [ -x "$DEST/$t" ] || return 1; done; }
if [ "$DRY" = 1 ]; then
  echo "version $VERSION, variant $VARIANT, flags '${FLAGS}'"
  echo "targets ${TARGETS[*]}"
  echo "cmake ${CMAKE_OPTIONS[*]}"
  if built; then echo "already built"; else echo "not built yet"; fi
  echo "$DEST"
  exit 0
fi
if ! built; then
  echo "building llama.cpp's ${TARGETS[*]} from llama-cpp-python $VERSION ($VARIANT build;" \
    "about 10 minutes on 2 cores, once)" >&2
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
  SDIST=${LLAMA_CPP_SDIST:-}
  if [ -z "$SDIST" ]; then
    "$PY" -m pip download --quiet --no-binary :all: --no-deps "llama-cpp-python==$VERSION" -d "$WORK" >&2
    SDIST=$(ls "$WORK"/llama_cpp_python-"$VERSION".tar.gz)
  fi
  tar -xzf "$SDIST" -C "$WORK"
  SRC="$WORK/llama_cpp_python-$VERSION/vendor/llama.cpp"
  started=$(date +%s)
  CFLAGS="${CFLAGS:-} $FLAGS" CXXFLAGS="${CXXFLAGS:-} $FLAGS" \
    cmake -S "$SRC" -B "$WORK/build" "${CMAKE_OPTIONS[@]}" >"$WORK/configure.log" 2>&1 \
    || { tail -n 40 "$WORK/configure.log" >&2; exit 1; }
  cmake --build "$WORK/build" --config Release -j "${JOBS:-2}" --target "${TARGETS[@]}" >"$WORK/build.log" 2>&1 \
    || { tail -n 40 "$WORK/build.log" >&2; exit 1; }
  mkdir -p "$DEST.partial"
  for t in "${TARGETS[@]}"; do cp "$WORK/build/bin/$t" "$DEST.partial/"; done
  {
    echo "llama-cpp-python $VERSION (vendored llama.cpp), variant $VARIANT, flags '${FLAGS}'"
    echo "cmake ${CMAKE_OPTIONS[*]}"
    echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) in $(($(date +%s) - started)) s on $(nproc) cores (-j ${JOBS:-2})"
  } >"$DEST.partial/BUILD_INFO"
  rm -rf "$DEST"
  mv "$DEST.partial" "$DEST"
fi
echo "$DEST"
