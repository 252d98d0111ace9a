// RUN: qc-opt %s --qc-fold-batchnorm=input-norm=float | FileCheck %s
// RUN: qc-opt %s --qc-fold-batchnorm=input-norm=float 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: qc-opt %s --qc-fold-batchnorm=input-norm=float --qc-annotate="stats=%S/Inputs/stats.json" --qc-fake-to-real | FileCheck %s --check-prefix=REAL
// RUN: not qc-opt %s --qc-fold-batchnorm=input-norm=maybe 2>&1 | FileCheck %s --check-prefix=BAD

// With input-norm=float the batch norm on the argument stays (a float
// prologue); the gemm keeps its weights. After annotation and fake-to-real,
// the batch norm runs in float on the argument, marked qc.float, and its
// output (not the argument) is quantized.
// CHECK-LABEL: func @input_norm
// CHECK: %[[N:.*]] = qc.batch_norm %arg0,
// CHECK: qc.gemm %[[N]],
// REMARK: remark: loc("relu"): batch norm on the model input is kept: it runs in float32 before the input quantize
// REAL-LABEL: func @input_norm
// REAL-NOT: qc.quantize %arg0
// REAL: %[[N:.*]] = qc.batch_norm %arg0, {{.*}} {epsilon = 1.000000e+00 : f32, qc.float}
// REAL: %[[Q:.*]] = qc.quantize %[[N]] {qtype = !quant.uniform<i8:f32, 0.0099999997764825821:-128>}
// REAL: qc.gemm %[[Q]],
// BAD: error: input-norm must be fold or float, got 'maybe'
func.func @input_norm(%x: tensor<1x2xf32> loc("input")) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 3.0]]> : tensor<2x2xf32>
  %b = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %s = arith.constant dense<[4.0, 3.0]> : tensor<2xf32>
  %bb = arith.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %m = arith.constant dense<[0.5, 0.0]> : tensor<2xf32>
  %v = arith.constant dense<[3.0, 8.0]> : tensor<2xf32>
  %0 = qc.batch_norm %x, %s, %bb, %m, %v {epsilon = 1.0 : f32} : (tensor<1x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2xf32> loc("relu")
  %1 = qc.gemm %0, %w, %b : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32> loc("gemm")
  return %1 : tensor<1x2xf32>
}
