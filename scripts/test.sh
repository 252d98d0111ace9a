#!/usr/bin/env bash
# The one command for every test suite: installs what it needs, configures,
# builds, then runs GoogleTest, lit + FileCheck and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
echo "== GoogleTest"
build/unittests/qc-unittests --gtest_brief=1
echo "== lit"
/usr/lib/llvm-22/bin/lit -sv build/test
echo "== pytest"
/usr/bin/python3 -m pytest -q -p no:cacheprovider python/tests
