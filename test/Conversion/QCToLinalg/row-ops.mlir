// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg | FileCheck %s

// i-softmax: a max reduction over the last axis, the i-exp and 16-bit
// requantize elementwise (broadcasting the row max), a sum, the
// normalization to i8.
// CHECK-LABEL: func @isoftmax
// CHECK: %[[MIN:.*]] = arith.constant -2147483648 : i32
// CHECK: %[[FILL:.*]] = linalg.fill ins(%[[MIN]] : i32) outs(%{{.*}} : tensor<2xi32>)
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%arg0 : tensor<2x4xi32>) outs(%[[FILL]] : tensor<2xi32>)
// CHECK: arith.maxsi
// CHECK: %[[E:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]{{.*}} ins(%arg0, %[[MAX]] : tensor<2x4xi32>, tensor<2xi32>)
// CHECK: arith.floordivsi
// CHECK: arith.shli
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%[[E]] : tensor<2x4xi32>)
// CHECK: %[[F:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<2xi32>) outs(%{{.*}} : tensor<2xi64>)
// CHECK: arith.constant 4294967296 : i64
// CHECK: linalg.generic {{.*}} ins(%[[E]], %[[F]] : tensor<2x4xi32>, tensor<2xi64>) outs(%{{.*}} : tensor<2x4xi8>)
// CHECK: arith.trunci %{{.*}} : i64 to i8
func.func @isoftmax(%x: tensor<2x4xi32>) -> tensor<2x4xi8> {
  %0 = qc.isoftmax %x {x0 = -45 : i64, b_int = 173 : i64, c_int = 11436 : i64, pre_shift = 13 : i64, multiplier = 1538201907 : i64, shift = 46 : i64, output_zp = -128 : i32} : tensor<2x4xi32> -> tensor<2x4xi8>
  return %0 : tensor<2x4xi8>
}

// -----

// i-LayerNorm: the sum (an i64 reduction), per row the rounded mean, the
// variance reduction reading it, per row the integer square root (six
// unrolled Newton steps from 2^ceil(bits/2)), then per element the
// per-channel dyadic affine step, gamma and beta indexed by the last axis.
// CHECK-LABEL: func @ilayernorm
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} outs(%{{.*}} : tensor<2xi64>)
// CHECK: %[[M:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<2xi64>)
// CHECK: arith.floordivsi
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%arg0, %[[M]] : tensor<2x4xi32>, tensor<2xi64>) outs(%{{.*}} : tensor<2xi64>)
// CHECK-NOT: arith.floordivsi
// CHECK: %[[F:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<2xi64>)
// CHECK: math.ctlz
// CHECK-COUNT-6: arith.divui
// CHECK-NOT: arith.divui
// CHECK-DAG: %[[G:.*]] = arith.constant dense<[1, 2, 3, 4]> : tensor<4xi64>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[0, 0, 0, 1]> : tensor<4xi64>
// CHECK: linalg.generic {{.*}} ins(%arg0, %[[M]], %[[F]], %[[G]], %[[B]] : tensor<2x4xi32>, tensor<2xi64>, tensor<2xi64>, tensor<4xi64>, tensor<4xi64>) outs(%{{.*}} : tensor<2x4xi8>)
// CHECK-NOT: arith.divui
// CHECK: linalg.yield
func.func @ilayernorm(%x: tensor<2x4xi32>) -> tensor<2x4xi8> {
  %0 = qc.ilayernorm %x {shift = 1 : i64, eps = 3 : i64, k = 30 : i64, gamma = array<i64: 1, 2, 3, 4>, beta = array<i64: 0, 0, 0, 1>, output_zp = 2 : i32} : tensor<2x4xi32> -> tensor<2x4xi8>
  return %0 : tensor<2x4xi8>
}

// -----

// i-GELU: one elementwise generic in i64, the erf shift by 14 and the sign
// moved into the product.
// CHECK-LABEL: func @igelu
// CHECK: linalg.generic {{.*}} ins(%arg0 : tensor<8xi32>) outs(%{{.*}} : tensor<8xi32>)
// CHECK: arith.constant 2562 : i64
// CHECK: arith.constant 14 : i64
// CHECK: arith.shrsi
// CHECK: arith.constant -444 : i64
// CHECK: arith.trunci %{{.*}} : i64 to i32
func.func @igelu(%x: tensor<8xi32>) -> tensor<8xi32> {
  %0 = qc.igelu %x {b_int = -2562 : i64, c_int = -7261467 : i64, one = -444 : i64} : tensor<8xi32>
  return %0 : tensor<8xi32>
}

// -----

// Float forms (ops kept in float): math.exp, math.sqrt, math.erf.
// CHECK-LABEL: func @floats
// CHECK: math.exp
// CHECK: arith.divf
// CHECK: math.sqrt
// CHECK: math.erf
func.func @floats(%x: tensor<2x4xf32>, %g: tensor<4xf32>) -> tensor<2x4xf32> {
  %0 = qc.softmax %x : tensor<2x4xf32>
  %1 = qc.layer_norm %0, %g, %g {epsilon = 1.0e-5 : f32} : (tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %2 = qc.gelu %1 : tensor<2x4xf32>
  return %2 : tensor<2x4xf32>
}
