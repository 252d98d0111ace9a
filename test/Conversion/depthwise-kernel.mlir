// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg=vnni=true | FileCheck %s
// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg=sdot=true | FileCheck %s
// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg | FileCheck %s --check-prefix=GENERIC
// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg=vnni=true --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --buffer-deallocation-pipeline | FileCheck %s --check-prefix=DEALLOC

// A stride-2 depthwise conv with its requantize: one channel per
// scf.parallel iteration, 16 output columns per vector (32 inputs loaded,
// even lanes kept), 9 taps unrolled, the requantize in the epilogue and an
// int8 result. Bias: b - zp_in * sum(w) - requantize input zp
// = [5 - 2*9 - 1, -5 - 2*(-9) - 1] = [-14, 12].
// CHECK-DAG: memref.global "private" constant @qc_dw_bias : memref<2xi32> = dense<[-14, 12]>
// CHECK-DAG: memref.global "private" constant @qc_dw_requant : memref<2x2xi32> = dense<{{\[\[}}1073741824, 1073741824], [31, 31]]>
// The kernel takes the unpadded input and copies each channel's plane into
// a 21x21 buffer: rows 0..19 read 20 bytes (masked) and get the zero point
// (2) in column 20, row 20 is all zero point. Its rows have 32 bytes of
// slack (21 + 32 = 53), so the taps' 32-byte reads are plain loads.
// CHECK-LABEL: func.func private @qc_dw_conv(%{{.*}}: memref<1x2x20x20xi8>, %{{.*}}: memref<1x2x10x10xi8>)
// CHECK: %[[ZP:.*]] = arith.constant 2 : i8
// CHECK: scf.parallel (%[[C:.*]]) =
// CHECK: %[[P:.*]] = memref.alloc() {alignment = 64 : i64} : memref<21x53xi8>
// CHECK: %[[ZPV:.*]] = vector.broadcast %[[ZP]] : i8 to vector<64xi8>
// CHECK: scf.for %[[IH:.*]] = %{{.*}} to %c20
// CHECK: %[[ROW:.*]] = vector.maskedload %arg0[%{{.*}}, %[[C]], %[[IH]], %{{.*}}], %{{.*}}, %{{.*}} : memref<1x2x20x20xi8>, vector<64xi1>, vector<64xi8>
// CHECK: vector.maskedstore %[[P]][%{{.*}}], %{{.*}}, %[[ROW]] : memref<21x53xi8>
// CHECK: memref.store %[[ZP]], %[[P]][%{{.*}}, %c20{{.*}}] : memref<21x53xi8>
// CHECK: scf.for %{{.*}} = %c20{{.*}} to %c21
// CHECK: vector.maskedstore %[[P]][%{{.*}}], %{{.*}}, %[[ZPV]] : memref<21x53xi8>
// CHECK: scf.for %[[OH:.*]] = %{{.*}} to %{{.*}} step
// CHECK-NOT: scf.for
// CHECK-COUNT-9: vector.load %[[P]][%{{.*}}] : memref<21x53xi8>, vector<32xi8>
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30]
// CHECK: arith.shrsi %{{.*}} : vector<16xi64>
// 10 output columns: one block of 10 lanes, a masked store.
// CHECK: vector.maskedstore %{{.*}}[%{{.*}}, %[[C]], %[[OH]], %{{.*}}], %{{.*}}, %{{.*}} : memref<1x2x10x10xi8>, vector<16xi1>, vector<16xi8>
// Buffer deallocation frees each channel's copy at the end of its iteration.
// DEALLOC-LABEL: func.func private @qc_dw_conv(%{{.*}}: memref<1x2x20x20xi8>
// DEALLOC: scf.parallel
// DEALLOC: %[[P:.*]] = memref.alloc() {alignment = 64 : i64} : memref<21x53xi8>
// DEALLOC: memref.dealloc %[[P]] : memref<21x53xi8>
// DEALLOC-NEXT: scf.reduce
// CHECK-LABEL: func.func @dw
// CHECK-NOT: tensor.pad
// CHECK: call @qc_dw_conv
// CHECK-NOT: qc.requantize
// GENERIC-LABEL: func.func @dw
// GENERIC-NOT: qc_dw_conv
// GENERIC: linalg.generic
func.func @dw(%x: tensor<1x2x20x20xi8>) -> tensor<1x2x10x10xi8> {
  %w = arith.constant dense<[[[[1, 1, 1], [1, 1, 1], [1, 1, 1]]], [[[-1, -1, -1], [-1, -1, -1], [-1, -1, -1]]]]> : tensor<2x1x3x3xi8>
  %b = arith.constant dense<[5, -5]> : tensor<2xi32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 2 : i64, input_zp = 2 : i32, pads = array<i64: 0, 0, 1, 1>, strides = array<i64: 2, 2>, weight_zp = 0 : i32} : (tensor<1x2x20x20xi8>, tensor<2x1x3x3xi8>, tensor<2xi32>) -> tensor<1x2x10x10xi32>
  %1 = qc.requantize %0 {axis = -1 : i64, input_zp = 1 : i32, output_zp = 0 : i32, min = -128 : i32, max = 127 : i32, multiplier = array<i32: 1073741824>, shift = array<i32: 31>} : tensor<1x2x10x10xi32> -> tensor<1x2x10x10xi8>
  return %1 : tensor<1x2x10x10xi8>
}

// -----

// Stride 1 without a requantize after it: 16 inputs per tap, int32 result.
// CHECK-LABEL: func.func private @qc_dw_conv(%{{.*}}: memref<1x3x5x5xi8>, %{{.*}}: memref<1x3x3x3xi32>)
// CHECK-NOT: vector.shuffle
// CHECK-COUNT-9: vector.transfer_read %{{.*}} : memref<1x3x5x5xi8>, vector<16xi8>
// CHECK: vector.maskedstore %{{.*}} : memref<1x3x3x3xi32>, vector<16xi1>, vector<16xi32>
// CHECK-LABEL: func.func @dw_i32
func.func @dw_i32(%x: tensor<1x3x5x5xi8>) -> tensor<1x3x3x3xi32> {
  %w = arith.constant dense<2> : tensor<3x1x3x3xi8>
  %b = arith.constant dense<0> : tensor<3xi32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 3 : i64, input_zp = 0 : i32, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, weight_zp = 0 : i32} : (tensor<1x3x5x5xi8>, tensor<3x1x3x3xi8>, tensor<3xi32>) -> tensor<1x3x3x3xi32>
  return %0 : tensor<1x3x3x3xi32>
}

// -----

// Stride 3 stays on the generic loops.
// CHECK-LABEL: func.func @dw_stride3
// CHECK-NOT: qc_dw_conv
// CHECK: linalg.generic
func.func @dw_stride3(%x: tensor<1x2x7x7xi8>) -> tensor<1x2x2x2xi32> {
  %w = arith.constant dense<1> : tensor<2x1x3x3xi8>
  %b = arith.constant dense<0> : tensor<2xi32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 2 : i64, input_zp = 0 : i32, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 3, 3>, weight_zp = 0 : i32} : (tensor<1x2x7x7xi8>, tensor<2x1x3x3xi8>, tensor<2xi32>) -> tensor<1x2x2x2xi32>
  return %0 : tensor<1x2x2x2xi32>
}

// -----

// 17 output columns: a whole block (plain store in a loop), then one lane,
// stored as a scalar (LLVM 22 turns a one-lane masked i8 store into a
// 4-byte store on x86).
// CHECK-LABEL: func.func private @qc_dw_conv(%{{.*}}: memref<1x2x3x19xi8>, %{{.*}}: memref<1x2x1x17xi8>)
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c16{{.*}} step %c16
// CHECK: vector.store %{{.*}} : memref<1x2x1x17xi8>, vector<16xi8>
// CHECK: vector.extract %{{.*}}[0] : i8 from vector<16xi8>
// CHECK: memref.store %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}, %c16{{.*}}] : memref<1x2x1x17xi8>
// CHECK-NOT: vector.maskedstore
// CHECK-LABEL: func.func @dw_one_lane_tail
func.func @dw_one_lane_tail(%x: tensor<1x2x3x19xi8>) -> tensor<1x2x1x17xi8> {
  %w = arith.constant dense<1> : tensor<2x1x3x3xi8>
  %b = arith.constant dense<0> : tensor<2xi32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 2 : i64, input_zp = 0 : i32, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, weight_zp = 0 : i32} : (tensor<1x2x3x19xi8>, tensor<2x1x3x3xi8>, tensor<2xi32>) -> tensor<1x2x1x17xi32>
  %1 = qc.requantize %0 {axis = -1 : i64, input_zp = 0 : i32, output_zp = 0 : i32, min = -128 : i32, max = 127 : i32, multiplier = array<i32: 1073741824>, shift = array<i32: 31>} : tensor<1x2x1x17xi32> -> tensor<1x2x1x17xi8>
  return %1 : tensor<1x2x1x17xi8>
}
