#!/usr/bin/env bash
# Regenerates docs/generated/ (dialect and pass references from ODS, CLI
# reference from the --help texts). Run after changing ODS, Passes.td or cli.py.
set -euo pipefail
cd "$(dirname "$0")/.."
ninja -C build qc-docs >/dev/null
mkdir -p docs/generated
cp build/docs/Dialects/QCDialect.md docs/generated/QCDialect.md
cp build/docs/Dialects/QCAccelDialect.md docs/generated/QCAccelDialect.md
ninja -C build qc-accel >/dev/null
build/bin/qc-accel supported-ops > docs/generated/accelerator-ops.md
cp build/docs/Passes/QCTransformPasses.md docs/generated/QCTransformPasses.md
cp build/docs/Passes/QCConversionPasses.md docs/generated/QCConversionPasses.md
PYTHONPATH=python /usr/bin/python3 -m qc.clidoc > docs/cli.md
PYTHONPATH=python QC_BUILD_DIR="$PWD/build" /usr/bin/python3 -m qc.pipelinedoc > docs/pipeline.md
