// RUN: qc-opt %s -split-input-file --qc-fake-to-real=integer-only=true -verify-diagnostics
// RUN: qc-opt %s -split-input-file --qc-fake-to-real | FileCheck %s

// Ops kept in float are listed, all of them, with integer-only; without it
// they convert behind dequantize / quantize.
// CHECK-LABEL: func @islands
// CHECK: qc.dequantize
// CHECK: qc.softmax {{.*}} {qc.float}
// CHECK: qc.quantize
// expected-error @+1 {{integer-only: 2 op(s) would stay in floating point: '' (qc.softmax), '' (qc.gelu)}}
func.func @islands(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 0.1>} : tensor<4xf32>
  %1 = qc.softmax %0 {qc.float} : tensor<4xf32>
  %2 = qc.fake_quant %1 {qtype = !quant.uniform<i8:f32, 0.01:-128>} : tensor<4xf32>
  %3 = qc.gelu %2 {qc.float} : tensor<4xf32>
  %4 = qc.fake_quant %3 {qtype = !quant.uniform<i8:f32, 0.01:-128>} : tensor<4xf32>
  return %4 : tensor<4xf32>
}

// -----

// A float prologue on the argument (input normalization) is allowed.
// CHECK-LABEL: func @prologue
// CHECK: qc.batch_norm {{.*}}qc.float
func.func @prologue(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %c = arith.constant dense<1.0> : tensor<2xf32>
  %0 = qc.batch_norm %x, %c, %c, %c, %c {epsilon = 0.0 : f32, qc.float} : (tensor<1x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %1 = qc.fake_quant %0 {qtype = !quant.uniform<i8:f32, 0.1>} : tensor<1x2xf32>
  return %1 : tensor<1x2xf32>
}
