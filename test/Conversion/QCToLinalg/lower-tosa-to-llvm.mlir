// RUN: qc-opt %s --qc-lower-to-llvm | FileCheck %s

// The float tensor ops of transformers (imported as TOSA) go through the
// same pipeline: matmul (tosa-to-linalg-named), reshape / slice
// (tosa-to-tensor), transpose, reductions and elementwise (tosa-to-linalg).
// CHECK: llvm.func @attention(
// CHECK-NOT: tosa.
func.func @attention(%x: tensor<1x4x8xf32>) -> tensor<4x4xf32> attributes {llvm.emit_c_interface} {
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %kt = tosa.transpose %x {perms = array<i32: 0, 2, 1>} : (tensor<1x4x8xf32>) -> tensor<1x8x4xf32>
  %s = tosa.matmul %x, %kt, %zp, %zp : (tensor<1x4x8xf32>, tensor<1x8x4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4xf32>
  %mx = tosa.reduce_max %s {axis = 2 : i32} : (tensor<1x4x4xf32>) -> tensor<1x4x1xf32>
  %d = tosa.sub %s, %mx : (tensor<1x4x4xf32>, tensor<1x4x1xf32>) -> tensor<1x4x4xf32>
  %e = tosa.exp %d : (tensor<1x4x4xf32>) -> tensor<1x4x4xf32>
  %st = tosa.const_shape {values = dense<[0, 0, 0]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %sz = tosa.const_shape {values = dense<[1, 4, 4]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %sl = tosa.slice %e, %st, %sz : (tensor<1x4x4xf32>, !tosa.shape<3>, !tosa.shape<3>) -> tensor<1x4x4xf32>
  %s2 = tosa.const_shape {values = dense<[4, 4]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %r = tosa.reshape %sl, %s2 : (tensor<1x4x4xf32>, !tosa.shape<2>) -> tensor<4x4xf32>
  %g = tosa.erf %r : (tensor<4x4xf32>) -> tensor<4x4xf32>
  return %g : tensor<4x4xf32>
}
