// RUN: not qc-opt %s -split-input-file --qc-annotate 2>&1 | FileCheck %s

// A tensor the model leaves unquantized needs statistics.
// CHECK: error: loc("gemm"): tensor 'gemm' is not quantized by the model and no statistics were given (calibrate it)
func.func @uncovered(%x: tensor<1x2xf32> loc("input")) -> tensor<1x2xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 0.5:3>} : tensor<1x2xf32>
  %w = arith.constant dense<1.0> : tensor<2x2xf32>
  %wq = qc.fake_quant %w {qtype = !quant.uniform<i8:f32:0, {0.25, 0.5}>} : tensor<2x2xf32>
  %b = arith.constant dense<0.0> : tensor<2xf32>
  %1 = qc.gemm %0, %wq, %b : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32> loc("gemm")
  return %1 : tensor<1x2xf32>
}

// -----

// Weights must be per output channel (axis 0) or per tensor.
// CHECK: error: loc("gemm"): weights quantized along axis 1; qc needs one scale per output channel (axis 0) or per tensor
func.func @axis(%x: tensor<1x2xf32> loc("input")) -> tensor<1x2xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 0.5:3>} : tensor<1x2xf32>
  %w = arith.constant dense<1.0> : tensor<2x2xf32>
  %wq = qc.fake_quant %w {qtype = !quant.uniform<i8:f32:1, {0.25, 0.5}>} : tensor<2x2xf32>
  %b = arith.constant dense<0.0> : tensor<2xf32>
  %1 = qc.gemm %0, %wq, %b : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32> loc("gemm")
  %2 = qc.fake_quant %1 {qtype = !quant.uniform<i8:f32, 0.25:-1>} : tensor<1x2xf32>
  return %2 : tensor<1x2xf32>
}
