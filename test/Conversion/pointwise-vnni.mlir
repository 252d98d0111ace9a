// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg=vnni=true | FileCheck %s
// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg=vnni=true --qc-vnni-kernels | FileCheck %s --check-prefix=BODY
// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg=vnni=true --qc-vnni-kernels=parallel=true | FileCheck %s --check-prefix=PAR
// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg=sdot=true | FileCheck %s --check-prefix=SDOT

// A 1x1 stride-1 conv with its requantize: no im2col, no transposes; the
// kernel reads [C][P] and writes [F][P] int8. Bias: b - 128 sum(w) - zp
// with zp = 1 the requantize's input zero point:
// [7 - 128*6 - 1, -7 - 128*(-6) - 1] = [-762, 760].
// Weights as bytes, 4 input channels per 32-bit broadcast (zero past C).
// CHECK-DAG: memref.global "private" constant @qc_pw_weights : memref<2x8xi8> = dense<{{\[\[}}1, 1, 1, 1, 1, 1, 0, 0], [-1, -1, -1, -1, -1, -1, 0, 0]]>
// CHECK-DAG: memref.global "private" constant @qc_pw_bias : memref<2xi32> = dense<[-762, 760]>
// CHECK-LABEL: func.func private @qc_pw_conv(memref<6x36xi8>, memref<2x36xi8>)
// CHECK-LABEL: func.func @pw
// CHECK-NOT: linalg.generic
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2, 3]] : tensor<1x6x4x9xi8> into tensor<6x36xi8>
// CHECK: call @qc_pw_conv
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1], [2, 3]] output_shape [1, 2, 4, 9] : tensor<2x36xi8> into tensor<1x2x4x9xi8>
// CHECK-NOT: qc.requantize
// Body: 36 pixels = one group of 2 whole blocks (plain loads and stores),
// then a partial block of 4 pixels (masked loads and stores). Per group the
// input is first interleaved once into a [C/4][blocks x 64] buffer (4 rows
// of 16 pixels per block, shifted to unsigned; the 2 channels past C = 6
// read row 5), then the 2 channel rows read it with plain loads. One buffer
// on the stack, created before the loop, serves both groups.
// BODY-LABEL: func.func private @qc_pw_conv
// BODY: %[[G:.*]] = memref.alloca() {alignment = 64 : i64} : memref<2x128xi8>
// BODY: scf.for
// BODY-COUNT-4: vector.load %{{.*}} : memref<6x36xi8>, vector<16xi8>
// BODY: vector.shuffle %{{.*}}, %{{.*}} [0, 16, 1, 17,
// BODY: arith.xori %{{.*}} : vector<64xi8>
// BODY: vector.store %{{.*}}, %[[G]]{{.*}} : memref<2x128xi8>, vector<64xi8>
// BODY: scf.for
// BODY: vector.load %[[G]]{{.*}} : memref<2x128xi8>, vector<64xi8>
// BODY-COUNT-4: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// BODY: arith.minsi
// BODY: arith.shrsi %{{.*}} : vector<8xi64>
// BODY: vector.store %{{.*}} : memref<2x36xi8>, vector<16xi8>
// BODY: vector.maskedload %{{.*}} : memref<6x36xi8>, vector<16xi1>, vector<16xi8> into vector<16xi8>
// BODY: vector.store %{{.*}}, %[[G]]{{.*}} : memref<2x128xi8>, vector<64xi8>
// BODY: vector.maskedstore %{{.*}} : memref<2x36xi8>, vector<16xi1>, vector<16xi8>
// BODY-NOT: memref.dealloc
// BODY: return
// PAR-LABEL: func.func private @qc_pw_conv
// PAR: scf.parallel
// SDOT-LABEL: func.func @pw
// SDOT-NOT: qc_pw_conv
// SDOT: call @qc_vnni_gemm
func.func @pw(%x: tensor<1x6x4x9xi8>) -> tensor<1x2x4x9xi8> {
  %w = arith.constant dense<[[[[1]], [[1]], [[1]], [[1]], [[1]], [[1]]], [[[-1]], [[-1]], [[-1]], [[-1]], [[-1]], [[-1]]]]> : tensor<2x6x1x1xi8>
  %b = arith.constant dense<[7, -7]> : tensor<2xi32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, input_zp = 0 : i32, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, weight_zp = 0 : i32} : (tensor<1x6x4x9xi8>, tensor<2x6x1x1xi8>, tensor<2xi32>) -> tensor<1x2x4x9xi32>
  %1 = qc.requantize %0 {axis = -1 : i64, input_zp = 1 : i32, output_zp = 0 : i32, min = -128 : i32, max = 127 : i32, multiplier = array<i32: 1073741824>, shift = array<i32: 31>} : tensor<1x2x4x9xi32> -> tensor<1x2x4x9xi8>
  return %1 : tensor<1x2x4x9xi8>
}

// -----

// 7 x 7 pixels: one group of 2 whole blocks and a tail group (a block and a
// partial one). Two groups are too few shares for the threads, so the
// parallel loop also splits the 20 output channels: parts of 8 (one block
// of 8 each, a loop of static trip count so qc-parallel-loops sees the
// work), the last part also the last 4 channels. The interleaved input's
// buffer is an alloca at the top of the parallel body, which
// qc-claim-shares gives each thread once.
// PAR-LABEL: func.func private @qc_pw_conv(%arg0: memref<8x49xi8>, %arg1: memref<20x49xi8>)
// PAR: scf.parallel (%[[G:.*]], %[[Q:.*]]) = (%c0{{.*}}, %c0{{.*}}) to (%c2{{.*}}, %c2{{.*}}) step (%c1{{.*}}, %c1
// PAR-NEXT: memref.alloca() {alignment = 64 : i64} : memref<2x128xi8>
// PAR: %[[F0:.*]] = arith.muli %[[Q]], %c8
// PAR: %[[LAST:.*]] = arith.cmpi eq, %[[Q]], %c1
// PAR: %[[WHOLE:.*]] = arith.cmpi ult, %[[G]], %c1
// PAR: scf.if %[[WHOLE]]
// PAR: scf.for %[[I:.*]] = %c0{{.*}} to %c1{{.*}} step %c1
// PAR: %[[IF:.*]] = arith.muli %[[I]], %c8
// PAR: arith.addi %[[F0]], %[[IF]]
// PAR: scf.if %[[LAST]]
// PAR: } else {
// PAR-NOT: memref.alloc
// PAR: scf.for %[[I:.*]] = %c0{{.*}} to %c1{{.*}} step %c1
// PAR: %[[IF:.*]] = arith.muli %[[I]], %c8
// PAR: arith.addi %[[F0]], %[[IF]]
// PAR: scf.if %[[LAST]]
func.func @pw_7x7(%x: tensor<1x8x7x7xi8>) -> tensor<1x20x7x7xi8> {
  %w = arith.constant dense<1> : tensor<20x8x1x1xi8>
  %b = arith.constant dense<0> : tensor<20xi32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, input_zp = 0 : i32, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, weight_zp = 0 : i32} : (tensor<1x8x7x7xi8>, tensor<20x8x1x1xi8>, tensor<20xi32>) -> tensor<1x20x7x7xi32>
  %1 = qc.requantize %0 {axis = -1 : i64, input_zp = 0 : i32, output_zp = 0 : i32, min = -128 : i32, max = 127 : i32, multiplier = array<i32: 1073741824>, shift = array<i32: 31>} : tensor<1x20x7x7xi32> -> tensor<1x20x7x7xi8>
  return %1 : tensor<1x20x7x7xi8>
}

// -----

// Stride 2 or padding: the direct conv kernel (direct-conv-vnni.mlir).
// CHECK-LABEL: func.func @pw_stride2
// CHECK-NOT: qc_pw_conv
// CHECK: call @qc_dc_conv
func.func @pw_stride2(%x: tensor<1x6x4x4xi8>) -> tensor<1x2x2x2xi32> {
  %w = arith.constant dense<1> : tensor<2x6x1x1xi8>
  %b = arith.constant dense<0> : tensor<2xi32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, input_zp = 0 : i32, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>, weight_zp = 0 : i32} : (tensor<1x6x4x4xi8>, tensor<2x6x1x1xi8>, tensor<2xi32>) -> tensor<1x2x2x2xi32>
  return %0 : tensor<1x2x2x2xi32>
}
