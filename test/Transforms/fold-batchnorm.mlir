// RUN: qc-opt %s -split-input-file --qc-fold-batchnorm -verify-diagnostics --mlir-print-debuginfo | FileCheck %s

// k = scale / sqrt(var + eps) = [4/2, 3/3] = [2, 1]
// W' = W * k; b' = (b - mean) * k + bias = [(0.5-0.5)*2+1, (-0.5-0)*1+1]
// CHECK-LABEL: func @conv_bn
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}2.000000e+00]]], {{\[\[\[}}1.000000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[1.000000e+00, 5.000000e-01]> : tensor<2xf32>
// CHECK: %[[C:.*]] = qc.conv2d %arg0, %[[W]], %[[B]]
// CHECK-NOT: qc.batch_norm
// CHECK: return %[[C]]
func.func @conv_bn(%x: tensor<1x1x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %w = arith.constant dense<1.0> : tensor<2x1x1x1xf32>
  %b = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %s = arith.constant dense<[4.0, 3.0]> : tensor<2xf32>
  %bb = arith.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %m = arith.constant dense<[0.5, 0.0]> : tensor<2xf32>
  %v = arith.constant dense<[3.0, 8.0]> : tensor<2xf32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x2x2xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  %1 = qc.batch_norm %0, %s, %bb, %m, %v {epsilon = 1.0 : f32} : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  return %1 : tensor<1x2x2x2xf32>
}

// -----

// The folded gemm takes the batch norm's location (its statistics name).
// CHECK-LABEL: func @gemm_bn
// CHECK-DAG: arith.constant dense<{{\[\[}}2.000000e+00, 4.000000e+00], [3.000000e+00, 3.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: arith.constant dense<[1.000000e+00, 5.000000e-01]> : tensor<2xf32>
// CHECK: qc.gemm {{.*}} loc(#[[LOC:.*]])
// CHECK: #[[LOC]] = loc("bn_out")
func.func @gemm_bn(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 3.0]]> : tensor<2x2xf32>
  %b = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %s = arith.constant dense<[4.0, 3.0]> : tensor<2xf32>
  %bb = arith.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %m = arith.constant dense<[0.5, 0.0]> : tensor<2xf32>
  %v = arith.constant dense<[3.0, 8.0]> : tensor<2xf32>
  %0 = qc.gemm %x, %w, %b : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32> loc("gemm_out")
  %1 = qc.batch_norm %0, %s, %bb, %m, %v {epsilon = 1.0 : f32} : (tensor<1x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2xf32> loc("bn_out")
  return %1 : tensor<1x2xf32>
}

// -----

// Batch norm on a gemm's input: W'[n, c] = W[n, c] * k[c],
// b'[n] = b[n] + sum_c W[n, c] * (bias[c] - mean[c] * k[c]).
// k = [2, 1], c = [1 - 0.5*2, 1 - 0] = [0, 1]; b' = [0.5 + 2*1, -0.5 + 3*1]
// CHECK-LABEL: func @bn_gemm
// CHECK-DAG: arith.constant dense<{{\[\[}}2.000000e+00, 2.000000e+00], [6.000000e+00, 3.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: arith.constant dense<2.500000e+00> : tensor<2xf32>
// CHECK: qc.gemm %arg0,
// CHECK-NOT: qc.batch_norm
func.func @bn_gemm(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 3.0]]> : tensor<2x2xf32>
  %b = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %s = arith.constant dense<[4.0, 3.0]> : tensor<2xf32>
  %bb = arith.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %m = arith.constant dense<[0.5, 0.0]> : tensor<2xf32>
  %v = arith.constant dense<[3.0, 8.0]> : tensor<2xf32>
  %0 = qc.batch_norm %x, %s, %bb, %m, %v {epsilon = 1.0 : f32} : (tensor<1x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %1 = qc.gemm %0, %w, %b : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  return %1 : tensor<1x2xf32>
}

// -----

// A conv whose result has another user cannot absorb the batch norm.
// CHECK-LABEL: func @conv_two_users
// CHECK: qc.batch_norm
func.func @conv_two_users(%x: tensor<1x1x2x2xf32>, %p: tensor<1xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) {
  %w = arith.constant dense<1.0> : tensor<1x1x1x1xf32>
  %b = arith.constant dense<0.0> : tensor<1xf32>
  %c = arith.constant dense<1.0> : tensor<1xf32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>) -> tensor<1x1x2x2xf32>
  // expected-remark @+1 {{batch norm not folded}}
  %1 = qc.batch_norm %0, %c, %c, %c, %c {epsilon = 1.0e-5 : f32} : (tensor<1x1x2x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2x2xf32>
  return %0, %1 : tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>
}

// -----

// Parameters that are not constant cannot be folded.
// CHECK-LABEL: func @dynamic_params
// CHECK: qc.batch_norm
func.func @dynamic_params(%x: tensor<1x1x2x2xf32>, %p: tensor<1xf32>) -> tensor<1x1x2x2xf32> {
  %w = arith.constant dense<1.0> : tensor<1x1x1x1xf32>
  %b = arith.constant dense<0.0> : tensor<1xf32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>) -> tensor<1x1x2x2xf32>
  // expected-remark @+1 {{batch norm not folded}}
  %1 = qc.batch_norm %0, %p, %p, %p, %p {epsilon = 1.0e-5 : f32} : (tensor<1x1x2x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2x2xf32>
  return %1 : tensor<1x1x2x2xf32>
}
