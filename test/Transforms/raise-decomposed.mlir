// RUN: qc-opt %s -split-input-file --qc-raise-decomposed --mlir-print-debuginfo --mlir-print-local-scope | FileCheck %s

// GELU, erf form as PyTorch exports it: (x * (1 + erf(x / sqrt2))) * 0.5.
// CHECK-LABEL: func.func @gelu_erf
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<2x8xf32>
// CHECK-NEXT: %[[G:.*]] = qc.gelu %[[X]] : tensor<2x8xf32> loc("y")
// CHECK-NEXT: return %[[G]]
func.func @gelu_erf(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %s = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %c = arith.constant dense<0.707106769> : tensor<1x1xf32>
  %one = arith.constant dense<1.0> : tensor<1x1xf32>
  %half = arith.constant dense<0.5> : tensor<1x1xf32>
  %d = tosa.mul %x, %c, %s : (tensor<2x8xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<2x8xf32>
  %e = tosa.erf %d : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %a = tosa.add %e, %one : (tensor<2x8xf32>, tensor<1x1xf32>) -> tensor<2x8xf32>
  %m = tosa.mul %x, %a, %s : (tensor<2x8xf32>, tensor<2x8xf32>, tensor<1xi8>) -> tensor<2x8xf32>
  %y = tosa.mul %m, %half, %s : (tensor<2x8xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<2x8xf32> loc("y")
  return %y : tensor<2x8xf32>
}

// -----

// The other association, as Hugging Face writes it: (0.5 * x) * (1 + erf).
// CHECK-LABEL: func.func @gelu_erf_half_first
// CHECK-NEXT: qc.gelu %{{.*}} : tensor<8xf32>
// CHECK-NEXT: return
func.func @gelu_erf_half_first(%x: tensor<8xf32>) -> tensor<8xf32> {
  %s = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %c = arith.constant dense<0.707106769> : tensor<1xf32>
  %one = arith.constant dense<1.0> : tensor<1xf32>
  %half = arith.constant dense<0.5> : tensor<1xf32>
  %h = tosa.mul %half, %x, %s : (tensor<1xf32>, tensor<8xf32>, tensor<1xi8>) -> tensor<8xf32>
  %d = tosa.mul %x, %c, %s : (tensor<8xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<8xf32>
  %e = tosa.erf %d : (tensor<8xf32>) -> tensor<8xf32>
  %a = tosa.add %one, %e : (tensor<1xf32>, tensor<8xf32>) -> tensor<8xf32>
  %y = tosa.mul %h, %a, %s : (tensor<8xf32>, tensor<8xf32>, tensor<1xi8>) -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// GELU, tanh approximation, x^3 as pow and as two multiplies.
// CHECK-LABEL: func.func @gelu_tanh
// CHECK-NEXT: qc.gelu %{{.*}} {approximate = "tanh"}
// CHECK-NEXT: return
func.func @gelu_tanh(%x: tensor<8xf32>) -> tensor<8xf32> {
  %s = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %three = arith.constant dense<3.0> : tensor<1xf32>
  %k = arith.constant dense<0.044715> : tensor<1xf32>
  %r = arith.constant dense<0.797884583> : tensor<1xf32>
  %one = arith.constant dense<1.0> : tensor<1xf32>
  %half = arith.constant dense<0.5> : tensor<1xf32>
  %p = tosa.pow %x, %three : (tensor<8xf32>, tensor<1xf32>) -> tensor<8xf32>
  %pk = tosa.mul %p, %k, %s : (tensor<8xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<8xf32>
  %in = tosa.add %x, %pk : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %sc = tosa.mul %in, %r, %s : (tensor<8xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<8xf32>
  %t = tosa.tanh %sc : (tensor<8xf32>) -> tensor<8xf32>
  %a = tosa.add %t, %one : (tensor<8xf32>, tensor<1xf32>) -> tensor<8xf32>
  %m = tosa.mul %x, %a, %s : (tensor<8xf32>, tensor<8xf32>, tensor<1xi8>) -> tensor<8xf32>
  %y = tosa.mul %m, %half, %s : (tensor<8xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// CHECK-LABEL: func.func @gelu_tanh_cube_by_muls
// CHECK-NEXT: qc.gelu %{{.*}} {approximate = "tanh"}
// CHECK-NEXT: return
func.func @gelu_tanh_cube_by_muls(%x: tensor<8xf32>) -> tensor<8xf32> {
  %s = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %k = arith.constant dense<0.044715> : tensor<1xf32>
  %r = arith.constant dense<0.797884583> : tensor<1xf32>
  %one = arith.constant dense<1.0> : tensor<1xf32>
  %half = arith.constant dense<0.5> : tensor<1xf32>
  %sq = tosa.mul %x, %x, %s : (tensor<8xf32>, tensor<8xf32>, tensor<1xi8>) -> tensor<8xf32>
  %p = tosa.mul %sq, %x, %s : (tensor<8xf32>, tensor<8xf32>, tensor<1xi8>) -> tensor<8xf32>
  %pk = tosa.mul %k, %p, %s : (tensor<1xf32>, tensor<8xf32>, tensor<1xi8>) -> tensor<8xf32>
  %in = tosa.add %pk, %x : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %sc = tosa.mul %in, %r, %s : (tensor<8xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<8xf32>
  %t = tosa.tanh %sc : (tensor<8xf32>) -> tensor<8xf32>
  %a = tosa.add %t, %one : (tensor<8xf32>, tensor<1xf32>) -> tensor<8xf32>
  %m = tosa.mul %x, %a, %s : (tensor<8xf32>, tensor<8xf32>, tensor<1xi8>) -> tensor<8xf32>
  %y = tosa.mul %m, %half, %s : (tensor<8xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// Not GELU: the divisor is 2, not sqrt(2). Nothing changes.
// CHECK-LABEL: func.func @not_gelu
// CHECK-NOT: qc.gelu
// CHECK: tosa.erf
func.func @not_gelu(%x: tensor<8xf32>) -> tensor<8xf32> {
  %s = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %c = arith.constant dense<0.5> : tensor<1xf32>
  %one = arith.constant dense<1.0> : tensor<1xf32>
  %half = arith.constant dense<0.5> : tensor<1xf32>
  %d = tosa.mul %x, %c, %s : (tensor<8xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<8xf32>
  %e = tosa.erf %d : (tensor<8xf32>) -> tensor<8xf32>
  %a = tosa.add %e, %one : (tensor<8xf32>, tensor<1xf32>) -> tensor<8xf32>
  %m = tosa.mul %x, %a, %s : (tensor<8xf32>, tensor<8xf32>, tensor<1xi8>) -> tensor<8xf32>
  %y = tosa.mul %m, %half, %s : (tensor<8xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// LayerNorm at opset 13: ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div,
// Mul, Add, as the importer spells them in TOSA.
// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<1x3x4xf32>
// CHECK-DAG: %[[G:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[5.000000e-01, 0.000000e+00, 0.000000e+00, -5.000000e-01]> : tensor<4xf32>
// CHECK: %[[L:.*]] = qc.layer_norm %[[X]], %[[G]], %[[B]] {epsilon = 9.99999974E-6 : f32} : (tensor<1x3x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x3x4xf32> loc("ln")
// CHECK-NEXT: return %[[L]]
func.func @layer_norm(%x: tensor<1x3x4xf32>) -> tensor<1x3x4xf32> {
  %s = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %n = arith.constant dense<0.25> : tensor<1x1x1xf32>
  %eps = arith.constant dense<1.0e-5> : tensor<1x1x1xf32>
  %half = arith.constant dense<0.5> : tensor<1x1x1xf32>
  %g = arith.constant dense<[[[1.0, 2.0, 3.0, 4.0]]]> : tensor<1x1x4xf32>
  %b = arith.constant dense<[[[0.5, 0.0, 0.0, -0.5]]]> : tensor<1x1x4xf32>
  %s1 = tosa.reduce_sum %x {axis = 2 : i32} : (tensor<1x3x4xf32>) -> tensor<1x3x1xf32>
  %mean = tosa.mul %s1, %n, %s : (tensor<1x3x1xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<1x3x1xf32>
  %d = tosa.sub %x, %mean : (tensor<1x3x4xf32>, tensor<1x3x1xf32>) -> tensor<1x3x4xf32>
  %sq = tosa.mul %d, %d, %s : (tensor<1x3x4xf32>, tensor<1x3x4xf32>, tensor<1xi8>) -> tensor<1x3x4xf32>
  %s2 = tosa.reduce_sum %sq {axis = 2 : i32} : (tensor<1x3x4xf32>) -> tensor<1x3x1xf32>
  %var = tosa.mul %s2, %n, %s : (tensor<1x3x1xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<1x3x1xf32>
  %ve = tosa.add %var, %eps : (tensor<1x3x1xf32>, tensor<1x1x1xf32>) -> tensor<1x3x1xf32>
  %sd = tosa.pow %ve, %half : (tensor<1x3x1xf32>, tensor<1x1x1xf32>) -> tensor<1x3x1xf32>
  %r = tosa.reciprocal %sd : (tensor<1x3x1xf32>) -> tensor<1x3x1xf32>
  %y = tosa.mul %d, %r, %s : (tensor<1x3x4xf32>, tensor<1x3x1xf32>, tensor<1xi8>) -> tensor<1x3x4xf32>
  %yg = tosa.mul %y, %g, %s : (tensor<1x3x4xf32>, tensor<1x1x4xf32>, tensor<1xi8>) -> tensor<1x3x4xf32>
  %out = tosa.add %yg, %b : (tensor<1x3x4xf32>, tensor<1x1x4xf32>) -> tensor<1x3x4xf32> loc("ln")
  return %out : tensor<1x3x4xf32>
}

// -----

// Not LayerNorm: the mean is over 1/3 of a row of 4. Nothing changes.
// CHECK-LABEL: func.func @wrong_mean
// CHECK-NOT: qc.layer_norm
// CHECK: tosa.reciprocal
func.func @wrong_mean(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %s = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %n = arith.constant dense<0.333333343> : tensor<1x1xf32>
  %q = arith.constant dense<0.25> : tensor<1x1xf32>
  %eps = arith.constant dense<1.0e-5> : tensor<1x1xf32>
  %half = arith.constant dense<0.5> : tensor<1x1xf32>
  %g = arith.constant dense<[[1.0, 2.0, 3.0, 4.0]]> : tensor<1x4xf32>
  %b = arith.constant dense<[[0.5, 0.0, 0.0, -0.5]]> : tensor<1x4xf32>
  %s1 = tosa.reduce_sum %x {axis = 1 : i32} : (tensor<1x4xf32>) -> tensor<1x1xf32>
  %mean = tosa.mul %s1, %n, %s : (tensor<1x1xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<1x1xf32>
  %d = tosa.sub %x, %mean : (tensor<1x4xf32>, tensor<1x1xf32>) -> tensor<1x4xf32>
  %sq = tosa.mul %d, %d, %s : (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1xi8>) -> tensor<1x4xf32>
  %s2 = tosa.reduce_sum %sq {axis = 1 : i32} : (tensor<1x4xf32>) -> tensor<1x1xf32>
  %var = tosa.mul %s2, %q, %s : (tensor<1x1xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<1x1xf32>
  %ve = tosa.add %var, %eps : (tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<1x1xf32>
  %sd = tosa.pow %ve, %half : (tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<1x1xf32>
  %r = tosa.reciprocal %sd : (tensor<1x1xf32>) -> tensor<1x1xf32>
  %y = tosa.mul %d, %r, %s : (tensor<1x4xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<1x4xf32>
  %yg = tosa.mul %y, %g, %s : (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1xi8>) -> tensor<1x4xf32>
  %out = tosa.add %yg, %b : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  return %out : tensor<1x4xf32>
}

// -----

// A scalar multiply after a reshape moves before it, onto the matmul.
// CHECK-LABEL: func.func @hoist_scalar_mul
// CHECK: %[[M:.*]] = tosa.matmul
// CHECK: %[[C:.*]] = arith.constant dense<2.500000e-01> : tensor<1x1x1xf32>
// CHECK: %[[S:.*]] = tosa.mul %[[M]], %[[C]]
// CHECK-SAME: -> tensor<2x3x3xf32>
// CHECK: %[[R:.*]] = tosa.reshape %[[S]]
// CHECK-NEXT: return %[[R]] : tensor<1x2x3x3xf32>
func.func @hoist_scalar_mul(%a: tensor<2x3x4xf32>, %b: tensor<2x4x3xf32>) -> tensor<1x2x3x3xf32> {
  %z = arith.constant dense<0.0> : tensor<1xf32>
  %s = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %c = arith.constant dense<0.25> : tensor<1x1x1x1xf32>
  %shape = tosa.const_shape {values = dense<[1, 2, 3, 3]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %m = tosa.matmul %a, %b, %z, %z : (tensor<2x3x4xf32>, tensor<2x4x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x3x3xf32>
  %r = tosa.reshape %m, %shape : (tensor<2x3x3xf32>, !tosa.shape<4>) -> tensor<1x2x3x3xf32>
  %y = tosa.mul %r, %c, %s : (tensor<1x2x3x3xf32>, tensor<1x1x1x1xf32>, tensor<1xi8>) -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}
