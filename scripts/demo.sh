#!/usr/bin/env bash
# The main job on the bundled real model (examples/mnist_cnn, trained by
# examples/mnist_cnn/train.py): quantize + compile with qc, run the native
# integer-only library, print float vs int8 accuracy, size and time.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --demo
scripts/build.sh >/dev/null
M=examples/mnist_cnn
build/bin/qc compile $M/model.onnx --calib $M/calib_x.npy -o out/mnist_cnn --force
build/bin/qc run out/mnist_cnn --input $M/test_x.npy --output out/mnist_cnn_logits.npy
echo "qc: ran out/mnist_cnn on $M/test_x.npy -> out/mnist_cnn_logits.npy"
build/bin/qc eval $M/model.onnx out/mnist_cnn --input $M/test_x.npy --labels $M/test_y.npy
