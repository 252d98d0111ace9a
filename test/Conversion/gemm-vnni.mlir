// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg=vnni=true | FileCheck %s
// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg=vnni=true --qc-vnni-kernels | FileCheck %s --check-prefix=BODY
// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg=sdot=true --qc-vnni-kernels | FileCheck %s --check-prefix=SDOT
// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg=vnni=true --qc-vnni-kernels=parallel=true | FileCheck %s --check-prefix=PAR

// On AArch64 sdot (4 lanes, s8 x s8) there is no unsigned shift: weights
// as they are, no row sums (channel 0's bias: 1 + 3 * 21 = 64).
// SDOT: memref.global "private" constant @qc_vnni_bias : memref<20xi32> = dense<[64, -61,
// SDOT-LABEL: func.func private @qc_vnni_gemm(%arg0: memref<3x6xi8>, %arg1: memref<3x20xi32>)
// SDOT-NOT: vector.reduction
// SDOT: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"({{.*}}) : (vector<4xi32>, vector<16xi8>, vector<16xi8>) -> vector<4xi32>

// N = 20: one full 16-column block and a masked partial one; K = 6: one
// 4-byte group and a tail group (read with zero padding). Packed weights are
// [1 group of 4 blocks][2 steps][4 blocks x 16 x 4], each byte w + 128 (w ^
// 0x80: vpdpbusd's unsigned operand): the second block's columns 16..19
// (rows 16, 17, 18 and -128/127 of %w) follow the first block's 16 columns
// within each step, padding stays 0. bias' = bias - input_zp * sum(w), the
// shift's correction is per row of A, at run time.
// Channel 0: 1 + 3 * 21 = 64; channel 1: 2 + 3 * (-21) = -61.
// CHECK: memref.global "private" constant @qc_vnni_weights : memref<1x2x256xi8> = dense<"0x818283847F7E7D7C87878787808080808181818182828282838383838484848485858585868686868787878788888888898989898A8A8A8A8B8B8B8B8C8C8C8C8D8D8D8D8E8E8E8E8F8F8F8F00FF00FF00000000
// CHECK: memref.global "private" constant @qc_vnni_bias : memref<32xi32> = dense<[64, -61,
// CHECK-LABEL: func.func private @qc_vnni_gemm(memref<3x6xi8>, memref<3x20xi32>)
// CHECK-SAME: qc.vnni_bias = @qc_vnni_bias, qc.vnni_weights = @qc_vnni_weights
// The kernel takes the input as it is.
// CHECK-LABEL: func.func @gemm
// CHECK-NOT: linalg.generic
// CHECK: %[[A:.*]] = bufferization.to_buffer %arg0 read_only : tensor<3x6xi8> to memref<3x6xi8>
// CHECK: %[[O:.*]] = memref.alloc() {alignment = 64 : i64} : memref<3x20xi32>
// CHECK: call @qc_vnni_gemm(%[[A]], %[[O]])
// CHECK: %[[R:.*]] = bufferization.to_tensor %[[O]] restrict writable
// CHECK: return %[[R]]

// Three rows, fewer than a block of 6: one 3-row tile. First the rows'
// sums (vpdpbusd of bytes 1 and each row; K = 6 < 64: one masked load per
// row) times -128, added to the bias; then each 4-byte group of A is
// broadcast, as it is, as vpdpbusd's signed operand beside the shifted
// weights, two groups per iteration; the tail group past K = 6 is read with
// padding.
// BODY-LABEL: func.func private @qc_vnni_gemm(%arg0: memref<3x6xi8>, %arg1: memref<3x20xi32>)
// BODY-NOT: arith.xori
// BODY: %[[ONES:.*]] = arith.constant dense<1> : vector<64xi8>
// BODY: %[[ROW:.*]] = vector.maskedload %arg0
// BODY: %[[SUM:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[ONES]], %[[ROW]])
// BODY: %[[TOTAL:.*]] = vector.reduction <add>, %[[SUM]]
// BODY: %[[CORR:.*]] = arith.muli %[[TOTAL]], %c-128_i32 : i32
// BODY-COUNT-2: vector.maskedload %arg0
// BODY: %[[BIAS:.*]] = vector.load %{{.*}} : memref<32xi32>, vector<16xi32>
// BODY: %[[SPLAT:.*]] = vector.broadcast %[[CORR]] : i32 to vector<16xi32>
// BODY: arith.addi %[[BIAS]], %[[SPLAT]] : vector<16xi32>
// BODY: scf.for
// BODY: %[[W:.*]] = vector.load %{{.*}} : memref<1x2x256xi8>, vector<64xi8>
// BODY: vector.load %arg0{{.*}} : memref<3x6xi8>, vector<4xi8>
// BODY: %[[A:.*]] = vector.bitcast %{{.*}} : vector<16xi32> to vector<64xi8>
// BODY: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[W]], %[[A]])
// BODY: vector.transfer_read %arg0
// BODY: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// BODY: vector.store
// BODY: vector.maskedstore %arg1
func.func @gemm(%x: tensor<3x6xi8>) -> tensor<3x20xi32> {
  %w = arith.constant dense<[[1, 2, 3, 4, 5, 6], [-1, -2, -3, -4, -5, -6], [7, 7, 7, 7, 7, 7], [0, 0, 0, 0, 0, 1], [1, 1, 1, 1, 1, 1], [2, 2, 2, 2, 2, 2], [3, 3, 3, 3, 3, 3], [4, 4, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [6, 6, 6, 6, 6, 6], [7, 7, 7, 7, 7, 7], [8, 8, 8, 8, 8, 8], [9, 9, 9, 9, 9, 9], [10, 10, 10, 10, 10, 10], [11, 11, 11, 11, 11, 11], [12, 12, 12, 12, 12, 12], [13, 13, 13, 13, 13, 13], [14, 14, 14, 14, 14, 14], [15, 15, 15, 15, 15, 15], [-128, 127, -128, 127, -128, 127]]> : tensor<20x6xi8>
  %b = arith.constant dense<[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]> : tensor<20xi32>
  %0 = qc.gemm %x, %w, %b {input_zp = -3 : i32, weight_zp = 0 : i32} : (tensor<3x6xi8>, tensor<20x6xi8>, tensor<20xi32>) -> tensor<3x20xi32>
  return %0 : tensor<3x20xi32>
}

// -----

// With a dyadic int8 requantize as its only user, the kernel applies it in
// its epilogue (input zero point folded into the bias): an int8 result, no
// separate requantize.
// CHECK-LABEL: func.func private @qc_vnni_gemm(memref<2x8xi8>, memref<2x3xi8>)
// CHECK-SAME: qc.vnni_out = array<i32: -5, -100, 120>
// CHECK-SAME: qc.vnni_requant = @qc_vnni_requant
// CHECK-LABEL: func.func @gemm_requant
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<2x3xi8>
// CHECK-NOT: qc.requantize
// CHECK: bufferization.to_tensor {{.*}} : memref<2x3xi8> to tensor<2x3xi8>
// BODY-LABEL: func.func private @qc_vnni_gemm(%arg0: memref<2x8xi8>, %arg1: memref<2x3xi8>)
// BODY: arith.muli {{.*}} : vector<8xi64>
// BODY: arith.shrsi {{.*}} : vector<8xi64>
// BODY: arith.maxsi
// BODY: arith.minsi
// BODY: arith.trunci {{.*}} : vector<16xi32> to vector<16xi8>
// BODY: vector.maskedstore %arg1
func.func @gemm_requant(%x: tensor<2x8xi8>) -> tensor<2x3xi8> {
  %w = arith.constant dense<[[1, 2, 3, 4, 5, 6, 7, 8], [-1, 0, 1, 0, -1, 0, 1, 0], [9, 9, 9, 9, 9, 9, 9, 9]]> : tensor<3x8xi8>
  %b = arith.constant dense<[10, -20, 30]> : tensor<3xi32>
  %0 = qc.gemm %x, %w, %b {input_zp = 4 : i32, weight_zp = 0 : i32} : (tensor<2x8xi8>, tensor<3x8xi8>, tensor<3xi32>) -> tensor<2x3xi32>
  %1 = qc.requantize %0 {axis = 1 : i64, input_zp = 2 : i32, max = 120 : i32, min = -100 : i32, multiplier = array<i32: 1073741824, 1500000000, 2000000000>, output_zp = -5 : i32, shift = array<i32: 33, 36, 40>} : tensor<2x3xi32> -> tensor<2x3xi8>
  return %1 : tensor<2x3xi8>
}

// -----

// 19 rows: three blocks of 6 and one single row; N = 72: one group of four
// 16-column blocks and an 8-column tail block. With threads, per band of
// rows (here one: 18 rows x 6 bytes): the band's row sums (-128 x each) go
// to a buffer in one parallel loop over its row blocks, then the column
// groups and the band's row blocks are one 2-D parallel loop, whose last
// group index runs the tail block; the single row follows.
// PAR-LABEL: func.func private @qc_vnni_gemm(%arg0: memref<19x6xi8>, %arg1: memref<19x72xi32>)
// PAR: %[[SUMS:.*]] = memref.alloc() {alignment = 64 : i64} : memref<18xi32>
// PAR: scf.for %[[BAND:.*]] = %{{.*}} to %{{.*}} step %c18
// PAR: %[[END:.*]] = arith.minui
// PAR: scf.parallel (%[[M:.*]]) = (%[[BAND]]) to (%[[END]]) step (%c6
// PAR: vector.reduction <add>
// PAR: memref.store %{{.*}}, %[[SUMS]]
// PAR: scf.parallel (%[[G:.*]], %[[R:.*]]) = (%{{.*}}, %[[BAND]]) to (%c8, %[[END]]) step (%c4{{.*}}, %c6
// PAR: memref.load %[[SUMS]]
// PAR: %[[WHOLE:.*]] = arith.cmpi ult, %[[G]], %c4
// PAR: scf.if %[[WHOLE]]
// PAR: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// PAR: } else {
// PAR: vector.maskedstore %arg1
// PAR: memref.dealloc %[[SUMS]]
// PAR: vector.reduction <add>
// PAR: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// PAR: vector.maskedstore %arg1
// PAR-NOT: scf.parallel
// PAR: return
func.func @gemm_rows(%x: tensor<19x6xi8>) -> tensor<19x72xi32> {
  %w = arith.constant dense<3> : tensor<72x6xi8>
  %b = arith.constant dense<1> : tensor<72xi32>
  %0 = qc.gemm %x, %w, %b {input_zp = 0 : i32, weight_zp = 0 : i32} : (tensor<19x6xi8>, tensor<72x6xi8>, tensor<72xi32>) -> tensor<19x72xi32>
  return %0 : tensor<19x72xi32>
}

// -----

// 16 rows: one block of 6, then two of 5 (16 = 6 + 2 x 5), each height in
// its own bands (row sums, then the 2-D parallel loop of tiles); no
// narrower tile or single row is left.
// PAR-LABEL: func.func private @qc_vnni_gemm(%arg0: memref<16x8xi8>, %arg1: memref<16x128xi32>)
// PAR: memref.alloc() {alignment = 64 : i64} : memref<16xi32>
// PAR: scf.for %{{.*}} = %c0{{.*}} to %c6{{.*}} step %c6
// PAR: scf.parallel (%{{.*}}, %{{.*}}) = {{.*}} step (%c4{{.*}}, %c6
// PAR-COUNT-24: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// PAR: scf.for %{{.*}} = %c6{{.*}} to %c16 step %c10
// PAR: scf.parallel (%{{.*}}, %{{.*}}) = {{.*}} step (%c4{{.*}}, %c5
// PAR-COUNT-20: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// PAR: memref.dealloc
// PAR-NOT: scf.parallel
// PAR: return
func.func @gemm_rest(%x: tensor<16x8xi8>) -> tensor<16x128xi32> {
  %w = arith.constant dense<3> : tensor<128x8xi8>
  %b = arith.constant dense<1> : tensor<128xi32>
  %0 = qc.gemm %x, %w, %b {input_zp = 0 : i32, weight_zp = 0 : i32} : (tensor<16x8xi8>, tensor<128x8xi8>, tensor<128xi32>) -> tensor<16x128xi32>
  return %0 : tensor<16x128xi32>
}

// -----

// 4 rows (fewer than two blocks of 5): one 4-row tile per column group,
// a parallel loop of its own.
// PAR-LABEL: func.func private @qc_vnni_gemm(%arg0: memref<4x8xi8>, %arg1: memref<4x128xi32>)
// PAR-NOT: memref.alloc
// PAR: scf.parallel (%{{.*}}) = (%c0{{.*}}) to (%c8{{.*}}) step (%c4
// PAR-COUNT-16: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// PAR: scf.reduce
func.func @gemm_small(%x: tensor<4x8xi8>) -> tensor<4x128xi32> {
  %w = arith.constant dense<3> : tensor<128x8xi8>
  %b = arith.constant dense<1> : tensor<128xi32>
  %0 = qc.gemm %x, %w, %b {input_zp = 0 : i32, weight_zp = 0 : i32} : (tensor<4x8xi8>, tensor<128x8xi8>, tensor<128xi32>) -> tensor<4x128xi32>
  return %0 : tensor<4x128xi32>
}

// -----

// K = 1024: a column group's weights (64 KiB) do not fit in L1, so each row
// block takes the column groups of a 128 KiB band of weights in turn (rows
// the outer parallel dim; 16 column blocks = two bands of 2 groups).
// PAR-LABEL: func.func private @qc_vnni_gemm(%arg0: memref<12x1024xi8>, %arg1: memref<12x256xi32>)
// PAR: scf.for %[[C0:.*]] = %c0{{.*}} to %c16{{.*}} step %c8
// PAR: %[[C1:.*]] = arith.minui %{{.*}}, %c16
// PAR: scf.parallel (%[[M:.*]], %[[G:.*]]) = (%{{.*}}, %[[C0]]) to (%{{.*}}, %[[C1]]) step (%c6{{.*}}, %c4
// PAR: %[[R:.*]] = arith.addi %[[M]], %c0
// PAR: memref.load %{{.*}}[%[[R]]]
func.func @gemm_long_k(%x: tensor<12x1024xi8>) -> tensor<12x256xi32> {
  %w = arith.constant dense<3> : tensor<256x1024xi8>
  %b = arith.constant dense<1> : tensor<256xi32>
  %0 = qc.gemm %x, %w, %b {input_zp = 0 : i32, weight_zp = 0 : i32} : (tensor<12x1024xi8>, tensor<256x1024xi8>, tensor<256xi32>) -> tensor<12x256xi32>
  return %0 : tensor<12x256xi32>
}

// -----

// A uint8 input (the importer's int8 view is its bytes xor 0x80): the kernel
// reads the bytes before the xor as vpdpbusd's unsigned operand, the
// weights are its signed one as they are, and (x + 128) w = x w + 128 w puts
// the correction in the bias: no row sums. Bias' = bias - input_zp * sum(w)
// - 128 * sum(w): channel 0 10 + 126 * 36 - 128 * 36 = -62, channel 2 30 -
// 2 * 72 = -114. 7 rows: a block of 6 and the single-row path. On sdot
// (signed bytes only) the xor stays and the kernel reads its result.
// CHECK: memref.global "private" constant @qc_vnni_weights : memref<1x2x256xi8> = dense<"0x01020304FF000100090909090000000000
// CHECK: memref.global "private" constant @qc_vnni_bias : memref<16xi32> = dense<[-62, -20, -114, 0,
// CHECK-LABEL: func.func private @qc_vnni_gemm(memref<7x8xi8>, memref<7x3xi32>)
// CHECK-SAME: qc.vnni_unsigned_input
// CHECK-LABEL: func.func @gemm_unsigned
// CHECK: %[[A:.*]] = bufferization.to_buffer %arg0 read_only : tensor<7x8xi8> to memref<7x8xi8>
// CHECK: call @qc_vnni_gemm(%[[A]],
// BODY-LABEL: func.func private @qc_vnni_gemm(%arg0: memref<7x8xi8>, %arg1: memref<7x3xi32>)
// BODY-NOT: vector.reduction
// BODY: %[[W:.*]] = vector.load %{{.*}} : memref<1x2x256xi8>, vector<64xi8>
// BODY: %[[A:.*]] = vector.bitcast %{{.*}} : vector<16xi32> to vector<64xi8>
// BODY: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[A]], %[[W]])
// BODY-NOT: vector.reduction
// BODY-LABEL: func.func @gemm_unsigned
// SDOT-LABEL: func.func private @qc_vnni_gemm(%arg0: memref<7x8xi8>, %arg1: memref<7x3xi32>)
// SDOT-LABEL: func.func @gemm_unsigned
// SDOT: %[[F:.*]] = tosa.bitwise_xor %arg0
// SDOT: bufferization.to_buffer %[[F]] read_only
func.func @gemm_unsigned(%x: tensor<7x8xi8>) -> tensor<7x3xi32> {
  %c = arith.constant dense<-128> : tensor<1x1xi8>
  %f = tosa.bitwise_xor %x, %c : (tensor<7x8xi8>, tensor<1x1xi8>) -> tensor<7x8xi8>
  %w = arith.constant dense<[[1, 2, 3, 4, 5, 6, 7, 8], [-1, 0, 1, 0, -1, 0, 1, 0], [9, 9, 9, 9, 9, 9, 9, 9]]> : tensor<3x8xi8>
  %b = arith.constant dense<[10, -20, 30]> : tensor<3xi32>
  %0 = qc.gemm %f, %w, %b {input_zp = -126 : i32, weight_zp = 0 : i32} : (tensor<7x8xi8>, tensor<3x8xi8>, tensor<3xi32>) -> tensor<7x3xi32>
  return %0 : tensor<7x3xi32>
}
