// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg=vnni=true | FileCheck %s
// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg=vnni=true --qc-vnni-kernels=parallel=true | FileCheck %s --check-prefix=VNNI
// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg=sdot=true --qc-vnni-kernels | FileCheck %s --check-prefix=PLAIN
// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg | FileCheck %s --check-prefix=GENERIC

// A stride-2 depthwise conv with its requantize. With VNNI the weights of
// each kernel row are one little-endian word [w0, w1, w2, 0] (1 -> 0x010101,
// -1 -> 0xFFFFFF) and the bias carries the input's unsigned shift:
// b - zp_in * sum(w) - requantize input zp - 128 * sum(w)
// = [5 - 2*9 - 1 - 1152, -5 + 2*9 - 1 + 1152] = [-1166, 1164].
// Geometry: KH, KW, strides, dilations, pads (t, l, b, r), zp, window form.
// CHECK-DAG: memref.global "private" constant @qc_dw_weights : memref<2x3xi32> = dense<{{\[\[}}65793, 65793, 65793], [16777215, 16777215, 16777215]]>
// CHECK-DAG: memref.global "private" constant @qc_dw_bias : memref<2xi32> = dense<[-1166, 1164]>
// CHECK-LABEL: func.func private @qc_dw_conv(memref<1x2x20x20xi8>, memref<1x2x10x10xi8>)
// CHECK-SAME: qc.dw_geom = array<i64: 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 2, 1>
// CHECK-SAME: qc.vnni_out = array<i32: 0, -128, 127>
// CHECK: memref.global "private" constant @qc_dw_requant : memref<2x2xi32> = dense<{{\[\[}}1073741824, 1073741824], [31, 31]]>
// CHECK-LABEL: func.func @dw
// CHECK-NOT: tensor.pad
// CHECK: call @qc_dw_conv
// CHECK-NOT: qc.requantize
// The body: one channel per parallel iteration; its plane copied, shifted
// (x ^ 0x80), into a 21x93 buffer (20 bytes per row, the zero point 2 ^ 0x80
// = -126 in column 20 and row 20, 72 bytes of slack for the 64-byte loads);
// per output row, for each kernel row, 2 accumulators (stride 2): 64-byte
// loads at columns 2 ow and 2 ow + 2, one vpdpbusd each with the row's
// weight word; both requantized and interleaved (lane i of accumulator r is
// column 2 i + r): 10 columns, one masked store. The copy is an alloca at
// the top of the parallel body (qc-claim-shares gives each thread one).
// VNNI-LABEL: func.func private @qc_dw_conv(%{{.*}}: memref<1x2x20x20xi8>, %{{.*}}: memref<1x2x10x10xi8>)
// VNNI: scf.parallel (%[[C:.*]]) =
// VNNI-NEXT: %[[P:.*]] = memref.alloca() {alignment = 64 : i64} : memref<21x93xi8>
// VNNI: %[[ROW:.*]] = vector.maskedload %arg0[%{{.*}}, %[[C]], %{{.*}}, %{{.*}}]
// VNNI: %[[U:.*]] = arith.xori %[[ROW]]
// VNNI: vector.maskedstore %[[P]][%{{.*}}], %{{.*}}, %[[U]] : memref<21x93xi8>
// VNNI: memref.store %c-126_i8, %[[P]][%{{.*}}, %c20{{.*}}] : memref<21x93xi8>
// VNNI: scf.for %[[OH:.*]] = %{{.*}} to %c10
// VNNI-NOT: scf.for
// VNNI-COUNT-6: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI: vector.shuffle %{{.*}}, %{{.*}} [0, 16, 1, 17, 2, 18, {{.*}}] : vector<16xi8>, vector<16xi8>
// VNNI: vector.maskedstore %arg1[%{{.*}}, %[[C]], %[[OH]], %{{.*}}], %{{.*}}, %{{.*}} : memref<1x2x10x10xi8>, vector<32xi1>, vector<32xi8>
// VNNI-NOT: memref.dealloc
// VNNI: scf.reduce
// On AArch64 the plain form: 16 output columns per vector (32 inputs
// loaded, even lanes kept), 9 taps unrolled, int32 products; no shift, the
// bias b - zp_in * sum(w) - requantize input zp = [-14, 12], the border the
// zero point itself; sequential channels (no threads), one padded plane
// on the stack for all of them.
// PLAIN-DAG: memref.global "private" constant @qc_dw_bias : memref<2xi32> = dense<[-14, 12]>
// PLAIN-LABEL: func.func private @qc_dw_conv(%{{.*}}: memref<1x2x20x20xi8>, %{{.*}}: memref<1x2x10x10xi8>)
// PLAIN-NOT: scf.parallel
// PLAIN: %[[P:.*]] = memref.alloca() {alignment = 64 : i64} : memref<21x53xi8>
// PLAIN: scf.for %{{.*}} = %c0 to %c2 step %c1 {
// PLAIN-NOT: arith.xori
// PLAIN: memref.store %c2_i8, %[[P]]
// PLAIN: scf.for %[[OH:.*]] = %{{.*}} to %{{.*}} step
// PLAIN-COUNT-9: vector.load %[[P]][%{{.*}}] : memref<21x53xi8>, vector<32xi8>
// PLAIN: vector.shuffle %{{.*}}, %{{.*}} [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30]
// PLAIN: vector.maskedstore %{{.*}} : memref<1x2x10x10xi8>, vector<16xi1>, vector<16xi8>
// PLAIN-NOT: memref.dealloc
// PLAIN: return
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

// Stride 1, unpadded, a 5-wide kernel and no requantize after it: two weight
// words per kernel row (taps 0-3, then tap 4 and zeros: 2 -> 0x02020202,
// 0x02), 4 accumulators (lane i of accumulator r is column 4 i + r), each
// load a masked read of the input shifted in the register; the int32 result
// interleaved in two steps (pairs of int32, then of int64).
// CHECK-DAG: memref.global "private" constant @qc_dw_weights : memref<3x6xi32> = dense<{{\[\[}}33686018, 2, 33686018, 2, 33686018, 2]
// VNNI-LABEL: func.func private @qc_dw_conv(%{{.*}}: memref<1x3x5x7xi8>, %{{.*}}: memref<1x3x3x3xi32>)
// VNNI-NOT: memref.alloc
// VNNI: %[[X:.*]] = vector.transfer_read %arg0{{.*}} : memref<1x3x5x7xi8>, vector<64xi8>
// VNNI: %[[U:.*]] = arith.xori %[[X]]
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[U]], %{{.*}})
// VNNI-COUNT-23: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI: vector.shuffle {{.*}} : vector<16xi32>, vector<16xi32>
// VNNI: vector.shuffle {{.*}} : vector<16xi64>, vector<16xi64>
// VNNI: vector.maskedstore %{{.*}} : memref<1x3x3x3xi32>, vector<64xi1>, vector<64xi32>
// VNNI-NOT: memref.dealloc
// PLAIN-LABEL: func.func private @qc_dw_conv(%{{.*}}: memref<1x3x5x7xi8>, %{{.*}}: memref<1x3x3x3xi32>)
// PLAIN-NOT: vector.shuffle
// PLAIN-COUNT-15: vector.transfer_read %{{.*}} : memref<1x3x5x7xi8>, vector<16xi8>
// PLAIN: vector.maskedstore %{{.*}} : memref<1x3x3x3xi32>, vector<16xi1>, vector<16xi32>
// CHECK-LABEL: func.func @dw_i32
func.func @dw_i32(%x: tensor<1x3x5x7xi8>) -> tensor<1x3x3x3xi32> {
  %w = arith.constant dense<2> : tensor<3x1x3x5xi8>
  %b = arith.constant dense<0> : tensor<3xi32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 3 : i64, input_zp = 0 : i32, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, weight_zp = 0 : i32} : (tensor<1x3x5x7xi8>, tensor<3x1x3x5xi8>, tensor<3xi32>) -> tensor<1x3x3x3xi32>
  return %0 : tensor<1x3x3x3xi32>
}

// -----

// Dilated columns take the plain form on VNNI too.
// CHECK-LABEL: func.func private @qc_dw_conv(memref<1x2x9x9xi8>, memref<1x2x5x5xi32>)
// CHECK-SAME: qc.dw_geom = array<i64: 3, 3, 1, 1, 2, 2, 0, 0, 0, 0, 0, 0>
// VNNI-LABEL: func.func private @qc_dw_conv(%{{.*}}: memref<1x2x9x9xi8>
// VNNI-NOT: llvm.call_intrinsic
// VNNI: arith.muli %{{.*}} : vector<16xi32>
func.func @dw_dilated(%x: tensor<1x2x9x9xi8>) -> tensor<1x2x5x5xi32> {
  %w = arith.constant dense<1> : tensor<2x1x3x3xi8>
  %b = arith.constant dense<0> : tensor<2xi32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 2, 2>, group = 2 : i64, input_zp = 0 : i32, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, weight_zp = 0 : i32} : (tensor<1x2x9x9xi8>, tensor<2x1x3x3xi8>, tensor<2xi32>) -> tensor<1x2x5x5xi32>
  return %0 : tensor<1x2x5x5xi32>
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

// 65 output columns with VNNI, a whole block of 64 (plain store in a loop),
// then one lane, stored as a scalar (LLVM 22 turns a one-lane masked i8
// store into a 4-byte store on x86). 17 columns on AArch64: the same with
// blocks of 16.
// VNNI-LABEL: func.func private @qc_dw_conv(%{{.*}}: memref<1x2x3x67xi8>, %{{.*}}: memref<1x2x1x65xi8>)
// VNNI: scf.for %{{.*}} = %c0{{.*}} to %c64{{.*}} step %c64
// VNNI: vector.store %{{.*}} : memref<1x2x1x65xi8>, vector<64xi8>
// VNNI: vector.extract %{{.*}}[0] : i8 from vector<64xi8>
// VNNI: memref.store %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}, %c64{{.*}}] : memref<1x2x1x65xi8>
// VNNI-NOT: vector.maskedstore
// VNNI-LABEL: func.func @dw_one_lane_tail
func.func @dw_one_lane_tail(%x: tensor<1x2x3x67xi8>) -> tensor<1x2x1x65xi8> {
  %w = arith.constant dense<1> : tensor<2x1x3x3xi8>
  %b = arith.constant dense<0> : tensor<2xi32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 2 : i64, input_zp = 0 : i32, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, weight_zp = 0 : i32} : (tensor<1x2x3x67xi8>, tensor<2x1x3x3xi8>, tensor<2xi32>) -> tensor<1x2x1x65xi32>
  %1 = qc.requantize %0 {axis = -1 : i64, input_zp = 0 : i32, output_zp = 0 : i32, min = -128 : i32, max = 127 : i32, multiplier = array<i32: 1073741824>, shift = array<i32: 31>} : tensor<1x2x1x65xi32> -> tensor<1x2x1x65xi8>
  return %1 : tensor<1x2x1x65xi8>
}

// -----

// PLAIN-LABEL: func.func private @qc_dw_conv(%{{.*}}: memref<1x2x3x19xi8>, %{{.*}}: memref<1x2x1x17xi8>)
// PLAIN: scf.for %{{.*}} = %c0{{.*}} to %c16{{.*}} step %c16
// PLAIN: vector.store %{{.*}} : memref<1x2x1x17xi8>, vector<16xi8>
// PLAIN: vector.extract %{{.*}}[0] : i8 from vector<16xi8>
// PLAIN: memref.store %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}, %c16{{.*}}] : memref<1x2x1x17xi8>
// PLAIN-NOT: vector.maskedstore
// PLAIN-LABEL: func.func @dw_one_lane_tail_plain
func.func @dw_one_lane_tail_plain(%x: tensor<1x2x3x19xi8>) -> tensor<1x2x1x17xi8> {
  %w = arith.constant dense<1> : tensor<2x1x3x3xi8>
  %b = arith.constant dense<0> : tensor<2xi32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 2 : i64, input_zp = 0 : i32, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, weight_zp = 0 : i32} : (tensor<1x2x3x19xi8>, tensor<2x1x3x3xi8>, tensor<2xi32>) -> tensor<1x2x1x17xi32>
  %1 = qc.requantize %0 {axis = -1 : i64, input_zp = 0 : i32, output_zp = 0 : i32, min = -128 : i32, max = 127 : i32, multiplier = array<i32: 1073741824>, shift = array<i32: 31>} : tensor<1x2x1x17xi32> -> tensor<1x2x1x17xi8>
  return %1 : tensor<1x2x1x17xi8>
}
