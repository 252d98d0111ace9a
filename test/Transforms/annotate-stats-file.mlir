// RUN: not qc-opt %s --qc-annotate=stats=%t.does-not-exist.json 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not qc-opt %s --qc-annotate=stats=%S/Inputs/corrupt-stats.json 2>&1 | FileCheck %s --check-prefix=CORRUPT
// RUN: not qc-opt %s --qc-annotate=stats=%S/Inputs/no-tensors-stats.json 2>&1 | FileCheck %s --check-prefix=NOTENSORS

// MISSING: error: cannot read statistics file '{{.*}}does-not-exist.json': No such file or directory
// CORRUPT: error: statistics file '{{.*}}corrupt-stats.json' is not valid JSON
// NOTENSORS: error: statistics file '{{.*}}no-tensors-stats.json' has no "tensors" object
func.func @f(%x: tensor<1x2xf32> loc("input")) -> tensor<1x2xf32> {
  return %x : tensor<1x2xf32>
}
