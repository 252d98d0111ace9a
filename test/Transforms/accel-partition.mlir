// RUN: qc-opt %s -split-input-file --qc-accel-partition="target=etpu-tiny cost=false" | FileCheck %s
// RUN: qc-opt %s -split-input-file --qc-accel-partition="target=etpu" | FileCheck %s --check-prefix=COST

// An unsupported op in the middle does not stop mapping: the conv after it
// gets a region of its own; the op keeps its reason.
// CHECK-LABEL: func.func private @qc_accel_region0
// CHECK: qc_accel.conv2d
// CHECK-SAME: input_zp = -128 : i32
// CHECK-SAME: multiplier = array<i32: 1073741824>
// CHECK-LABEL: func.func private @qc_accel_region1
// CHECK: qc_accel.conv2d
// CHECK-LABEL: func.func @middle
// CHECK: %[[A:.*]] = qc_accel.launch @qc_accel_region0(%arg0)
// CHECK: %[[C:.*]] = tosa.clamp %[[A]]
// CHECK-SAME: qc_accel.reasons = ["ACCEL-OP-UNSUPPORTED{{.}} 'tosa.clamp' has no etpu form"]
// CHECK: %[[B:.*]] = qc_accel.launch @qc_accel_region1(%[[C]])
// CHECK: return %[[B]]
// COST-LABEL: func.func @middle
// COST-NOT: qc_accel.launch
// COST: qc.conv2d
// COST-SAME: ACCEL-COST: region of 1 op(s)
// COST-SAME: etpu {{.*}} us (DMA included) >= CPU model {{.*}} us
func.func @middle(%x: tensor<1x2x4x4xi8>) -> tensor<1x2x4x4xi8> {
  %w = arith.constant dense<3> : tensor<2x2x1x1xi8>
  %b = arith.constant dense<7> : tensor<2xi32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, input_zp = -128 : i32, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, weight_zp = 0 : i32} : (tensor<1x2x4x4xi8>, tensor<2x2x1x1xi8>, tensor<2xi32>) -> tensor<1x2x4x4xi32>
  %1 = qc.requantize %0 {axis = -1 : i64, input_zp = 0 : i32, max = 127 : i32, min = -128 : i32, multiplier = array<i32: 1073741824>, output_zp = 0 : i32, shift = array<i32: 33>} : tensor<1x2x4x4xi32> -> tensor<1x2x4x4xi8>
  %2 = tosa.clamp %1 {min_val = -10 : i8, max_val = 10 : i8} : (tensor<1x2x4x4xi8>) -> tensor<1x2x4x4xi8>
  %3 = qc.conv2d %2, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, input_zp = 0 : i32, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, weight_zp = 0 : i32} : (tensor<1x2x4x4xi8>, tensor<2x2x1x1xi8>, tensor<2xi32>) -> tensor<1x2x4x4xi32>
  %4 = qc.requantize %3 {axis = -1 : i64, input_zp = 0 : i32, max = 127 : i32, min = -128 : i32, multiplier = array<i32: 1073741824>, output_zp = 0 : i32, shift = array<i32: 33>} : tensor<1x2x4x4xi32> -> tensor<1x2x4x4xi8>
  return %4 : tensor<1x2x4x4xi8>
}

// -----

// Every violated constraint is reported, with the offending values.
// CHECK-LABEL: func.func @all_reasons
// CHECK-NOT: qc_accel.launch
// CHECK: qc.conv2d
// CHECK-SAME: "ACCEL-CONV-KERNEL: kernel [17, 17] outside [1, 16]"
// CHECK-SAME: "ACCEL-CONV-STRIDE: strides [5, 5] outside [1, 4]"
// CHECK-SAME: "ACCEL-CONV-PAD: pads [17, 0, 0, 0] exceed the dilated kernel extent [16, 16]"
func.func @all_reasons(%x: tensor<1x1x40x40xi8>) -> tensor<1x1x9x5xi8> {
  %w = arith.constant dense<1> : tensor<1x1x17x17xi8>
  %b = arith.constant dense<0> : tensor<1xi32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, input_zp = 0 : i32, pads = array<i64: 17, 0, 0, 0>, strides = array<i64: 5, 5>, weight_zp = 0 : i32} : (tensor<1x1x40x40xi8>, tensor<1x1x17x17xi8>, tensor<1xi32>) -> tensor<1x1x9x5xi32>
  %1 = qc.requantize %0 {axis = -1 : i64, input_zp = 0 : i32, max = 127 : i32, min = -128 : i32, multiplier = array<i32: 1073741824>, output_zp = 0 : i32, shift = array<i32: 40>} : tensor<1x1x9x5xi32> -> tensor<1x1x9x5xi8>
  return %1 : tensor<1x1x9x5xi8>
}

// -----

// The int32 accumulator could overflow: the gemm stays on the CPU.
// CHECK-LABEL: func.func @overflow
// CHECK: qc.gemm
// CHECK-SAME: "ACCEL-ACC-OVERFLOW: output channel 0: sum|w| 8322945 * 255 + |bias| 100000000 = 2222350975 >= 2^31"
func.func @overflow(%x: tensor<1x65535xi8>) -> tensor<1x1xi8> {
  %w = arith.constant dense<127> : tensor<1x65535xi8>
  %b = arith.constant dense<100000000> : tensor<1xi32>
  %0 = qc.gemm %x, %w, %b {input_zp = -128 : i32, weight_zp = 0 : i32} : (tensor<1x65535xi8>, tensor<1x65535xi8>, tensor<1xi32>) -> tensor<1x1xi32>
  %1 = qc.requantize %0 {axis = -1 : i64, input_zp = 0 : i32, max = 127 : i32, min = -128 : i32, multiplier = array<i32: 1073741824>, output_zp = 0 : i32, shift = array<i32: 50>} : tensor<1x1xi32> -> tensor<1x1xi8>
  return %1 : tensor<1x1xi8>
}

// -----

// A conv whose int32 result has two users cannot fuse its requantize; a
// reshape of a CPU tensor stays with it.
// CHECK-LABEL: func.func @unfused
// CHECK: tensor.collapse_shape
// CHECK-SAME: "ACCEL-VIEW-ALONE: its producer runs on the CPU; a reshape alone is free there"
// CHECK: qc.conv2d
// CHECK-SAME: "ACCEL-DTYPE: result tensor<1x1x2x2xi32>: needs int8"
// CHECK-SAME: "ACCEL-FUSE: the int32 result has 2 user(s), not one dyadic int8 requantize"
func.func @unfused(%x: tensor<1x1x2x2xi8>) -> (tensor<1x4xi8>, tensor<1x1x2x2xi32>) {
  %v = tensor.collapse_shape %x [[0], [1, 2, 3]] : tensor<1x1x2x2xi8> into tensor<1x4xi8>
  %w = arith.constant dense<1> : tensor<1x1x1x1xi8>
  %b = arith.constant dense<0> : tensor<1xi32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, input_zp = 0 : i32, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, weight_zp = 0 : i32} : (tensor<1x1x2x2xi8>, tensor<1x1x1x1xi8>, tensor<1xi32>) -> tensor<1x1x2x2xi32>
  %1 = tosa.add %0, %0 : (tensor<1x1x2x2xi32>, tensor<1x1x2x2xi32>) -> tensor<1x1x2x2xi32>
  return %v, %1 : tensor<1x4xi8>, tensor<1x1x2x2xi32>
}

// -----

// A requantize with an input zero point cannot fuse into the accumulator
// epilogue (it would be dropped): the conv stays on the CPU.
// CHECK-LABEL: func.func @requant_zp
// CHECK: qc.conv2d
// CHECK-SAME: "ACCEL-REQUANT: the fused requantize has input_zp 5 (needs 0)"
func.func @requant_zp(%x: tensor<1x1x2x2xi8>) -> tensor<1x1x2x2xi8> {
  %w = arith.constant dense<1> : tensor<1x1x1x1xi8>
  %b = arith.constant dense<0> : tensor<1xi32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, input_zp = 0 : i32, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, weight_zp = 0 : i32} : (tensor<1x1x2x2xi8>, tensor<1x1x1x1xi8>, tensor<1xi32>) -> tensor<1x1x2x2xi32>
  %1 = qc.requantize %0 {axis = -1 : i64, input_zp = 5 : i32, max = 127 : i32, min = -128 : i32, multiplier = array<i32: 1073741824>, output_zp = 0 : i32, shift = array<i32: 31>} : tensor<1x1x2x2xi32> -> tensor<1x1x2x2xi8>
  return %1 : tensor<1x1x2x2xi8>
}

// -----

// A 16x16 depthwise filter does not fit a 256-byte weight slot of the tiny
// target: scheduling fails, and the region goes back to the CPU with the
// scheduler's diagnostic instead of failing the compile.
// CHECK-LABEL: func.func @lowering_fails
// CHECK-NOT: qc_accel.launch
// CHECK: qc.conv2d
// CHECK-SAME: "ACCEL-LOWERING: region of 1 op(s) from 'dw': dw: one channel's weights and requantize record (268 bytes) exceed a weight-cache slot (256 bytes)"
func.func @lowering_fails(%x: tensor<1x2x16x16xi8>) -> tensor<1x2x1x1xi8> {
  %w = arith.constant dense<1> : tensor<2x1x16x16xi8>
  %b = arith.constant dense<0> : tensor<2xi32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 2 : i64, input_zp = 0 : i32, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, weight_zp = 0 : i32} : (tensor<1x2x16x16xi8>, tensor<2x1x16x16xi8>, tensor<2xi32>) -> tensor<1x2x1x1xi32> loc("dw")
  %1 = qc.requantize %0 {axis = -1 : i64, input_zp = 0 : i32, max = 127 : i32, min = -128 : i32, multiplier = array<i32: 1073741824>, output_zp = 0 : i32, shift = array<i32: 40>} : tensor<1x2x1x1xi32> -> tensor<1x2x1x1xi8>
  return %1 : tensor<1x2x1x1xi8>
}

// -----

// A quantized add: the input rescales come before it in program order and
// still belong to its unit (one region, no CPU rows for them).
// CHECK-LABEL: func.func private @qc_accel_region0
// CHECK: qc_accel.eltwise %arg0, %arg0 {kind = "add", lhs_multiplier = 1073741824 : i32, lhs_shift = 11 : i32, lhs_zp = 3 : i32
// CHECK-SAME: sum_zp = 0 : i32
// CHECK-LABEL: func.func @add_same_input
// CHECK-NEXT: qc_accel.launch @qc_accel_region0(%arg0)
// CHECK-NEXT: return
func.func @add_same_input(%x: tensor<1x2xi8>) -> tensor<1x2xi8> {
  %1 = qc.requantize %x {axis = -1 : i64, input_zp = 3 : i32, max = 2147483647 : i32, min = -2147483648 : i32, multiplier = array<i32: 1073741824>, output_zp = 0 : i32, shift = array<i32: 11>} : tensor<1x2xi8> -> tensor<1x2xi32>
  %2 = qc.requantize %x {axis = -1 : i64, input_zp = 3 : i32, max = 2147483647 : i32, min = -2147483648 : i32, multiplier = array<i32: 1073741824>, output_zp = 0 : i32, shift = array<i32: 11>} : tensor<1x2xi8> -> tensor<1x2xi32>
  %3 = tosa.add %1, %2 : (tensor<1x2xi32>, tensor<1x2xi32>) -> tensor<1x2xi32>
  %4 = qc.requantize %3 {axis = -1 : i64, input_zp = 0 : i32, max = 127 : i32, min = -128 : i32, multiplier = array<i32: 1073741824>, output_zp = 0 : i32, shift = array<i32: 50>} : tensor<1x2xi32> -> tensor<1x2xi8>
  return %4 : tensor<1x2xi8>
}
