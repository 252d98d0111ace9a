// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg=vnni=true | FileCheck %s
// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg=vnni=true --qc-vnni-kernels | FileCheck %s --check-prefix=BODY
// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg=vnni=true --qc-vnni-kernels=parallel=true | FileCheck %s --check-prefix=PAR
// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg=sdot=true | FileCheck %s --check-prefix=SDOT

// A 3x3 conv, pads 1, with its requantize: no im2col, no transposes. The
// input is padded with its zero point (channels 5 -> 8, rows 4 + 1 -> 7
// so the last taps' reads stay inside, columns 6 + 2 -> 8 = Wh) while it is
// split into 2 groups of 4 channels interleaved per pixel (^ 0x80); the kernel computes
// 4 rows x 8 columns (32 = one group of 2 blocks of 16) for 8 output
// channels (2 real) and the slices keep [2][4][6].
// Weights [f-block][c4][tap][f][4 channels] as bytes: w[f][c] = +-(c + 1).
// Bias: b - 128 sum(w) - zp with zp = 1 the requantize's input zero point:
// [100 - 128*135 - 1, -100 + 128*135 - 1] = [-17181, 17179].
// Tap (kh, kw) reads pixel q + 8 kh + kw: 4 bytes per pixel.
// CHECK-DAG: memref.global "private" constant @qc_dc_weights : memref<1x576xi8> = dense<"0x01020304FFFEFDFC000000000000000000000000000000000000000000000000
// CHECK-DAG: memref.global "private" constant @qc_dc_bias : memref<8xi32> = dense<[-17181, 17179, 0, 0, 0, 0, 0, 0]>
// Small weights and more than 4 input channels: threads split the conv
// and its relayout by rows (qc.dc_rows, qc.x4_rows).
// CHECK-DAG: func.func private @qc_dc_conv(memref<2x224xi8>, memref<8x32xi8>) attributes {{{.*}}qc.dc_rows, qc.dc_taps = array<i64: 0, 0, 0, 4, 0, 8, 0, 32, 0, 36, 0, 40, 0, 64, 0, 68, 0, 72>
// One pass builds X4 (no tensor.pad), a kernel of its own: geometry C 5, H 4,
// W 6, strides 1 x 1, pads top 1 and left 1, phases 1 x 1, C4 2, Hh 7, Wh 8,
// zero point 0.
// CHECK-DAG: func.func private @qc_dc_x4(memref<1x5x4x6xi8, strided<[?, ?, ?, 1], offset: ?>>, memref<2x224xi8>) attributes {qc.x4_geom = array<i64: 5, 4, 6, 1, 1, 1, 1, 1, 1, 2, 7, 8, 0>, qc.x4_rows}
// CHECK-LABEL: func.func @dc
// CHECK-NOT: tensor.pad
// CHECK-NOT: linalg.generic
// CHECK: %[[IN:.*]] = bufferization.to_buffer %arg0 read_only : tensor<1x5x4x6xi8> to memref<1x5x4x6xi8, strided<[?, ?, ?, 1], offset: ?>>
// CHECK: %[[X4:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x224xi8>
// CHECK: call @qc_dc_x4(%[[IN]], %[[X4]])
// CHECK: call @qc_dc_conv(%[[X4]],
// CHECK: tensor.extract_slice %{{.*}}[0, 0] [2, 32] [1, 1] : tensor<8x32xi8> to tensor<2x32xi8>
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 0] [2, 4, 6] [1, 1, 1] : tensor<2x4x8xi8> to tensor<2x4x6xi8>
// CHECK-NOT: qc.requantize
// Body: per channel group c4, 9 taps of 2 blocks x 8 channels; the weights
// broadcast from 4 bytes; the requantize in the epilogue.
// BODY-LABEL: func.func private @qc_dc_conv
// BODY: scf.for
// BODY: scf.for
// BODY: scf.for
// BODY-COUNT-2: vector.load %{{.*}} : memref<2x224xi8>, vector<64xi8>
// BODY: vector.load %{{.*}} : memref<1x576xi8>, vector<4xi8>
// BODY-COUNT-2: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// BODY: arith.shrsi %{{.*}} : vector<8xi64>
// BODY: vector.store %{{.*}} : memref<8x32xi8>, vector<16xi8>
// The relayout: per X4 row (c4 in 2, hh in 7) each of its 4 channel rows copied into
// a buffer (on the stack) bordered with the zero point, then 16 pixels of
// the 4 rows interleaved to [16][4] bytes, ^ 0x80; Wh = 8: a masked store
// of 32 bytes.
// BODY-LABEL: func.func private @qc_dc_x4(%arg0: memref<1x5x4x6xi8, strided<[?, ?, ?, 1], offset: ?>>, %arg1: memref<2x224xi8>)
// BODY: %[[BUF:.*]] = memref.alloca() {alignment = 64 : i64} : memref<4x64xi8>
// BODY: scf.for %{{.*}} = %c0 to %c2 step %c1
// BODY: scf.for %{{.*}} = %{{.*}} to %c7 step
// BODY: vector.store %{{.*}}, %[[BUF]]
// BODY: scf.if
// BODY: vector.maskedload %arg0
// BODY: vector.maskedstore %[[BUF]]
// BODY-COUNT-4: vector.load %[[BUF]]{{.*}} : memref<4x64xi8>, vector<16xi8>
// BODY: vector.shuffle
// BODY: arith.xori
// BODY: vector.maskedstore %arg1
// BODY-LABEL: func.func @dc
// Threads: the conv over blocks of pixel groups (here one), each block
// channel block by channel block, a guard for the last block's end; the
// relayout over (2 blocks of rows, C4), a block's rows in turn.
// PAR-LABEL: func.func private @qc_dc_conv
// PAR: scf.parallel (%{{.*}}) = (%{{.*}}) to (%{{.*}}) step
// PAR: arith.muli
// PAR: scf.for
// PAR: scf.for
// PAR: scf.if
// PAR-NOT: scf.parallel
// PAR-LABEL: func.func private @qc_dc_x4
// PAR: scf.parallel (%{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}) to (%c2, %c2_{{.*}}) step
// PAR-NEXT: memref.alloca
// PAR: arith.muli
// PAR: scf.for %{{.*}} = %{{.*}} to %c4
// PAR-NOT: scf.parallel
// PAR-LABEL: func.func @dc
// AArch64 keeps im2col and the sdot gemm kernel.
// SDOT-LABEL: func.func @dc
// SDOT-NOT: qc_dc_conv
// SDOT: call @qc_vnni_gemm
func.func @dc(%x: tensor<1x5x4x6xi8>) -> tensor<1x2x4x6xi8> {
  %w = arith.constant dense<[[[[1, 1, 1], [1, 1, 1], [1, 1, 1]], [[2, 2, 2], [2, 2, 2], [2, 2, 2]], [[3, 3, 3], [3, 3, 3], [3, 3, 3]], [[4, 4, 4], [4, 4, 4], [4, 4, 4]], [[5, 5, 5], [5, 5, 5], [5, 5, 5]]], [[[-1, -1, -1], [-1, -1, -1], [-1, -1, -1]], [[-2, -2, -2], [-2, -2, -2], [-2, -2, -2]], [[-3, -3, -3], [-3, -3, -3], [-3, -3, -3]], [[-4, -4, -4], [-4, -4, -4], [-4, -4, -4]], [[-5, -5, -5], [-5, -5, -5], [-5, -5, -5]]]]> : tensor<2x5x3x3xi8>
  %b = arith.constant dense<[100, -100]> : tensor<2xi32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, input_zp = 0 : i32, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>, weight_zp = 0 : i32} : (tensor<1x5x4x6xi8>, tensor<2x5x3x3xi8>, tensor<2xi32>) -> tensor<1x2x4x6xi32>
  %1 = qc.requantize %0 {axis = -1 : i64, input_zp = 1 : i32, output_zp = 0 : i32, min = -128 : i32, max = 127 : i32, multiplier = array<i32: 1073741824>, shift = array<i32: 31>} : tensor<1x2x4x6xi32> -> tensor<1x2x4x6xi8>
  return %1 : tensor<1x2x4x6xi8>
}

// -----

// Stride 2, dilation 2 in rows, pads [1, 0, 2, 1], no requantize (int32).
// Rows: tap kh reads row 2 kh of the padded input = phase 0, row offset kh;
// columns: tap kw reads column kw = phase kw % 2, column offset kw / 2.
// Phase grid: Wh = (9 + 0 + 1) / 2 = 5 columns; OH = (7 + 3 - 3) / 2 + 1
// = 4 rows: 20 pixels, one group of 32. Taps (row of X4 = phase * C4,
// byte offset 4 (5 kh + kw / 2)) with C4 = 1:
// (0,0) (1,0) (0,4) (0,20) (1,20) (0,24).
// CHECK-LABEL: func.func private @qc_dc_conv
// CHECK-SAME: (memref<4x{{[0-9]+}}xi8>, memref<8x32xi32>)
// CHECK-SAME: qc.dc_taps = array<i64: 0, 0, 1, 0, 0, 4, 0, 20, 1, 20, 0, 24>
// The relayout: 2 x 2 phases, pads top 1 and left 0, C4 1, Wh 5.
// CHECK: func.func private @qc_dc_x4(memref<1x3x7x9xi8, strided<[?, ?, ?, 1], offset: ?>>, memref<4x{{[0-9]+}}xi8>) attributes {qc.x4_geom = array<i64: 3, 7, 9, 2, 2, 1, 0, 2, 2, 1, {{[0-9]+}}, 5, 0>}
// CHECK-LABEL: func.func @dc_strided
// CHECK: call @qc_dc_x4
// CHECK: call @qc_dc_conv
// CHECK: tensor<2x4x5xi32> to tensor<2x4x4xi32>
// One channel group (C4 1, a model's input, shared out by channels before):
// threads split the conv by (channel block, pixel group) and the relayout
// by its (phase and channel group, row).
// PAR-LABEL: func.func private @qc_dc_conv
// PAR: scf.parallel (%{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}) to (%{{.*}}, %c32{{.*}}) step
// PAR-NOT: scf.parallel
// PAR-LABEL: func.func private @qc_dc_x4
// PAR: scf.parallel (%{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}) to (%c4, %c8) step
// PAR-NEXT: memref.alloca
// PAR-NOT: scf.parallel
// PAR-LABEL: func.func @dc_strided
func.func @dc_strided(%x: tensor<1x3x7x9xi8>) -> tensor<1x2x4x4xi32> {
  %w = arith.constant dense<1> : tensor<2x3x2x3xi8>
  %b = arith.constant dense<0> : tensor<2xi32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 2, 1>, group = 1 : i64, input_zp = 0 : i32, pads = array<i64: 1, 0, 2, 1>, strides = array<i64: 2, 2>, weight_zp = 0 : i32} : (tensor<1x3x7x9xi8>, tensor<2x3x2x3xi8>, tensor<2xi32>) -> tensor<1x2x4x4xi32>
  return %0 : tensor<1x2x4x4xi32>
}
