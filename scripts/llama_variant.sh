# Sourced by scripts/llama_wheel.sh and scripts/llama_baselines.sh: the pinned llama-cpp-python
# version and this machine's build variant, so the wheel and llama.cpp's own programs are built
# from the same sources with the same flags.
#
# On CPUs with Intel AMX (Sapphire Rapids and later) ggml's native build enables its AMX matmul
# path, which crashes (SIGSEGV in the first decode; upstream llama.cpp issue 20824). There the
# build switches AMX off (-mno-amx-*: GCC honours explicit ISA flags over -march=native); every
# other SIMD feature of the machine stays on. Sets VERSION, VARIANT (default | no-amx) and FLAGS.
VERSION=${LLAMA_CPP_VERSION:-0.3.36}  # the version the test suite and benchmarks are run on
VARIANT=default
FLAGS=""
if [ "$(uname -m)" = x86_64 ] && grep -qw amx_int8 /proc/cpuinfo 2>/dev/null; then
  VARIANT=no-amx
  FLAGS="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
fi
