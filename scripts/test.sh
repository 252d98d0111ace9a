#!/usr/bin/env bash
# The one command for every test suite: installs what it needs, configures,
# builds, then runs GoogleTest, lit + FileCheck and pytest; then the same
# suites again on an AddressSanitizer + UndefinedBehaviorSanitizer build
# (clang 22), plus bounded smoke runs of the libFuzzer targets.
# QC_SKIP_SANITIZERS=1 skips the second half (for quick local runs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh

run_suites() {  # $1 = build directory
  echo "== GoogleTest ($1)"
  "$1"/unittests/qc-unittests --gtest_brief=1
  echo "== lit ($1)"
  /usr/lib/llvm-22/bin/lit -sv "$1"/test
  echo "== pytest ($1)"
  QC_BUILD_DIR="$PWD/$1" /usr/bin/python3 -m pytest -q -p no:cacheprovider python/tests
}

if [ "${QC_SKIP_SANITIZERS:-0}" != 1 ]; then
  scripts/build.sh --sanitize
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
  echo "== fuzz smoke runs (build-san)"
  for f in qc-opt stats; do
    mkdir -p build-san/fuzz-work/$f
    log=build-san/fuzz-work/$f.log
    if ! build-san/fuzz/$f-fuzzer build-san/fuzz-work/$f fuzz/corpus/$f -runs=20000 \
        -max_total_time=30 -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix=build-san/fuzz-work/ >"$log" 2>&1; then
      tail -n 60 "$log"
      echo "fuzzer $f failed (crash input in build-san/fuzz-work/)"
      exit 1
    fi
    echo "$f-fuzzer: $(grep -E '^stat::number_of_executed_units' "$log")"
  done
  run_suites build-san
fi
run_suites build
