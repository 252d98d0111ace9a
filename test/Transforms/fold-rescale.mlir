// RUN: qc-opt %s -split-input-file --qc-fold-rescale -verify-diagnostics --mlir-print-debuginfo | FileCheck %s

// integer-spec.md 9.1: M = 0.0072474273 -> multiplier 1992157647, shift 38.
// The clamp after the requantize folds into its bounds.
// CHECK-LABEL: func @dyadic_and_clamp
// The real scale is replaced: no float is left.
// CHECK: %[[R:.*]] = qc.requantize %arg0 {axis = -1 : i64, input_zp = 0 : i32, max = -104 : i32, min = -128 : i32, multiplier = array<i32: 1992157647>, output_zp = -128 : i32, shift = array<i32: 38>}
// CHECK-NOT: tosa.clamp
// CHECK: return %[[R]]
func.func @dyadic_and_clamp(%x: tensor<4xi32>) -> tensor<4xi8> {
  %0 = qc.requantize %x {axis = -1 : i64, input_zp = 0 : i32, output_zp = -128 : i32, min = -128 : i32, max = 127 : i32, scale = array<f64: 0.0072474273>} : tensor<4xi32> -> tensor<4xi8>
  %1 = tosa.clamp %0 {min_val = -128 : i8, max_val = -104 : i8} : (tensor<4xi8>) -> tensor<4xi8>
  return %1 : tensor<4xi8>
}

// -----

// Per channel: 1.0 -> (2^30, 30); 0.5 -> (2^30, 31); 1.5 -> (1610612736, 30).
// CHECK-LABEL: func @per_channel
// CHECK: multiplier = array<i32: 1073741824, 1073741824, 1610612736>
// CHECK-SAME: shift = array<i32: 30, 31, 30>
func.func @per_channel(%x: tensor<1x3xi32>) -> tensor<1x3xi8> {
  %0 = qc.requantize %x {axis = 1 : i64, input_zp = 0 : i32, output_zp = 0 : i32, min = -128 : i32, max = 127 : i32, scale = array<f64: 1.0, 0.5, 1.5>} : tensor<1x3xi32> -> tensor<1x3xi8>
  return %0 : tensor<1x3xi8>
}

// -----

// Identity rescales vanish; a clamp with another user stays.
// CHECK-LABEL: func @identity
// CHECK-NOT: qc.requantize
// CHECK: %[[C:.*]] = tosa.clamp %arg0
// CHECK: return %[[C]], %arg0
func.func @identity(%x: tensor<4xi8>) -> (tensor<4xi8>, tensor<4xi8>) {
  %0 = qc.requantize %x {axis = -1 : i64, input_zp = 5 : i32, output_zp = 5 : i32, min = -128 : i32, max = 127 : i32, scale = array<f64: 1.0>} : tensor<4xi8> -> tensor<4xi8>
  %1 = tosa.clamp %0 {min_val = 5 : i8, max_val = 127 : i8} : (tensor<4xi8>) -> tensor<4xi8>
  return %1, %0 : tensor<4xi8>, tensor<4xi8>
}

// -----

// Scale 1 with different zero points or a narrowed clamp is not identity.
// CHECK-LABEL: func @not_identity
// CHECK: qc.requantize {{.*}}multiplier = array<i32: 1073741824>{{.*}}shift = array<i32: 30>
// CHECK: qc.requantize {{.*}}max = 100 : i32{{.*}}multiplier = array<i32: 1073741824>
func.func @not_identity(%x: tensor<4xi8>) -> (tensor<4xi8>, tensor<4xi8>) {
  %0 = qc.requantize %x {axis = -1 : i64, input_zp = 5 : i32, output_zp = 4 : i32, min = -128 : i32, max = 127 : i32, scale = array<f64: 1.0>} : tensor<4xi8> -> tensor<4xi8>
  %1 = qc.requantize %x {axis = -1 : i64, input_zp = 5 : i32, output_zp = 5 : i32, min = -128 : i32, max = 100 : i32, scale = array<f64: 1.0>} : tensor<4xi8> -> tensor<4xi8>
  return %0, %1 : tensor<4xi8>, tensor<4xi8>
}

// -----

func.func @too_large(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{rescale factor 1.073742e+09 has no 32-bit dyadic form (must be < 2^29)}}
  %0 = qc.requantize %x {axis = -1 : i64, input_zp = 0 : i32, output_zp = 0 : i32, min = -2147483648 : i32, max = 2147483647 : i32, scale = array<f64: 1073741824.0>} : tensor<4xi32> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// The folded requantize produces the clamp's tensor, so it takes its name.
// CHECK-LABEL: func @clamp_location
// CHECK: qc.requantize {{.*}} loc(#[[L:.*]])
// CHECK: #[[L]] = loc("relu")
func.func @clamp_location(%x: tensor<4xi32>) -> tensor<4xi8> {
  %0 = qc.requantize %x {axis = -1 : i64, input_zp = 0 : i32, output_zp = 0 : i32, min = -128 : i32, max = 127 : i32, scale = array<f64: 0.5>} : tensor<4xi32> -> tensor<4xi8> loc("conv")
  %1 = tosa.clamp %0 {min_val = 0 : i8, max_val = 127 : i8} : (tensor<4xi8>) -> tensor<4xi8> loc("relu")
  return %1 : tensor<4xi8>
}
