#!/usr/bin/env bash
# Configures and builds qc (Ninja, ccache, Debian's LLVM/MLIR 22):
#   scripts/build.sh             -> build/      (g++, Release)
#   scripts/build.sh --sanitize  -> build-san/  (clang 22, ASan + UBSan, fuzzers)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build
args=(-DCMAKE_BUILD_TYPE=Release)
if [ "${1:-}" = --sanitize ]; then
  dir=build-san
  args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-22
        -DCMAKE_CXX_COMPILER=clang++-22 -DQC_FUZZ=ON)
fi
if [ ! -f $dir/build.ninja ]; then
  cmake -G Ninja -S . -B $dir "${args[@]}" \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
fi
ninja -C $dir
