// RUN: qc-opt %s --qc-accel-schedule=target=etpu-tiny | FileCheck %s
// RUN: qc-opt %s --qc-accel-schedule=target=etpu-tiny --qc-accel-emit=output=%t.qcx | FileCheck %s --check-prefix=HOST
// RUN: qc-accel disasm %t.qcx | FileCheck %s --check-prefix=DIS
// RUN: qc-accel sim %t.qcx | FileCheck %s --check-prefix=SIM

// A 1x1 conv with 6 output channels on the 4x4 array: two channel tiles
// (4 + 2, the second partial) and two pixel tiles of 8 rows (ACC banks of 16
// rows hold both channel tiles), then a 2x2 max pool. Weights and
// requantize records are cached by the init commands.
// CHECK-LABEL: qc_accel.program @qc_accel_region0
// CHECK-SAME: input_bytes = array<i64: 32>
// CHECK-SAME: layers = ["conv", "pool"]
// CHECK-SAME: output_bytes = array<i64: 24>
// CHECK-SAME: target = "etpu-tiny"
// CHECK: init {
// CHECK: qc_accel.dma_weights {bytes = 84 : i64, layer = 0 : i64, off = 0 : i64, wb = 0 : i64}
// CHECK: qc_accel.dma_weights {bytes = 72 : i64, layer = 1 : i64, off = 84 : i64, wb = 84 : i64}
// CHECK: } body {
// CHECK: %[[I:.*]] = qc_accel.im2col {{.*}}kcount = 2 : i64, kh = 1 : i64{{.*}}pixel0 = 0 : i64{{.*}}rows = 8
// CHECK: qc_accel.load_weights {k = 2 : i64, layer = 0 : i64, n = 4 : i64, wb = 48 : i64}
// CHECK: qc_accel.mxu_tile[%[[I]]] {acc = 0 : i64, accumulate = 0 : i64, k = 2 : i64
// CHECK: qc_accel.load_weights {k = 2 : i64, layer = 0 : i64, n = 2 : i64, wb = 80 : i64}
// CHECK: qc_accel.mxu_tile[%[[I]]] {acc = 32 : i64
// CHECK: %[[A:.*]] = qc_accel.activate {acc = 0 : i64{{.*}}n = 4 : i64{{.*}}ub = 64 : i64{{.*}}zp = -3 : i64}
// CHECK: %[[O:.*]] = qc_accel.dma_out[%[[A]]] {buf = 2 : i64
// CHECK: qc_accel.im2col {{.*}}pixel0 = 8 : i64
// The second tile's activate reuses the first output slot: it waits for the
// store that read it.
// CHECK: qc_accel.activate[%[[O]]] {acc = 64 : i64
// CHECK: qc_accel.im2col[{{.*}}] {{.*}}fill = -128 : i64{{.*}}kh = 2 : i64
// CHECK: qc_accel.vec_pool[{{.*}}] {acc = 0 : i64, chans = 4 : i64, layer = 1 : i64, mode = 0 : i64
// CHECK: qc_accel.dma_out[{{.*}}] {buf = 1 : i64
// CHECK-NOT: func.func private @qc_accel_region0

// HOST-LABEL: func.func @main
// HOST: bufferization.to_buffer %arg0 read_only
// HOST: memref.alloc() {alignment = 64 : i64} : memref<1x6x2x2xi8>
// HOST: call @qc_accel_submit(%c0_i32, %c2_i32,
// HOST: bufferization.to_tensor {{.*}} restrict writable
// HOST-NOT: qc_accel.

// DIS: qcx v1 target=etpu-tiny array=4x4
// DIS: region qc_accel_region0 inputs=[32] outputs=[24] scratch=128 weights=156
// DIS: layer L0 conv
// DIS: layer L1 pool
// DIS: init 2
// DIS: 0: dma_weights L0 off=0 wb=0 bytes=84
// DIS: body
// DIS: 0: im2col L0 buf=0 off=0 channels=2 height=4 width=4 kh=1 kw=1
// DIS: 2: mxu_tile L0 wait(0) ub=0 rows=8 k=2 ub_stride=2 acc=0 zp=-128 accumulate=0

// SIM: region qc_accel_region0 cycles={{[0-9]+}} init_cycles={{[0-9]+}} commands={{[0-9]+}}

func.func private @qc_accel_region0(%x: tensor<1x2x4x4xi8>) -> tensor<1x6x2x2xi8> attributes {qc_accel.region = 0 : i64} {
  %w = arith.constant dense<[[[[1]], [[2]]], [[[3]], [[4]]], [[[5]], [[6]]], [[[7]], [[8]]], [[[9]], [[10]]], [[[11]], [[12]]]]> : tensor<6x2x1x1xi8>
  %b = arith.constant dense<[1, 2, 3, 4, 5, 6]> : tensor<6xi32>
  %0 = qc_accel.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, input_zp = -128 : i32, max = 127 : i32, min = -128 : i32, multiplier = array<i32: 1073741824>, output_zp = -3 : i32, pads = array<i64: 0, 0, 0, 0>, qc_accel.macs = 192 : i64, shift = array<i32: 36>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xi8>, tensor<6x2x1x1xi8>, tensor<6xi32>) -> tensor<1x6x4x4xi8> loc("conv")
  %1 = qc_accel.pool %0 {input_zp = 0 : i32, kernel = array<i64: 2, 2>, kind = "max", max = 127 : i32, min = -128 : i32, multiplier = array<i32: 1073741824>, output_zp = 0 : i32, pads = array<i64: 0, 0, 0, 0>, qc_accel.macs = 0 : i64, shift = array<i32: 30>, strides = array<i64: 2, 2>} : tensor<1x6x4x4xi8> -> tensor<1x6x2x2xi8> loc("pool")
  return %1 : tensor<1x6x2x2xi8>
}

func.func @main(%x: tensor<1x2x4x4xi8>) -> tensor<1x6x2x2xi8> {
  %0 = qc_accel.launch @qc_accel_region0(%x) : (tensor<1x2x4x4xi8>) -> tensor<1x6x2x2xi8>
  return %0 : tensor<1x6x2x2xi8>
}
