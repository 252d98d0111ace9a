// RUN: qc-opt %s -split-input-file -verify-diagnostics

func.func @bias_size(%x: tensor<1x2x4x4xi8>, %w: tensor<3x2x1x1xi8>, %b: tensor<2xi32>) -> tensor<1x3x4x4xi8> {
  // expected-error @+1 {{bias must have 3 elements}}
  %0 = qc_accel.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, input_zp = 0 : i32, max = 127 : i32, min = -128 : i32, multiplier = array<i32: 1073741824>, output_zp = 0 : i32, pads = array<i64: 0, 0, 0, 0>, shift = array<i32: 31>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xi8>, tensor<3x2x1x1xi8>, tensor<2xi32>) -> tensor<1x3x4x4xi8>
  return %0 : tensor<1x3x4x4xi8>
}

// -----

func.func @factors(%x: tensor<1x8xi8>, %w: tensor<3x8xi8>, %b: tensor<3xi32>) -> tensor<1x3xi8> {
  // expected-error @+1 {{needs 1 or 3 requantize factors, got 2}}
  %0 = qc_accel.matmul %x, %w, %b {input_zp = 0 : i32, max = 127 : i32, min = -128 : i32, multiplier = array<i32: 1073741824, 1073741824>, output_zp = 0 : i32, shift = array<i32: 31, 31>} : (tensor<1x8xi8>, tensor<3x8xi8>, tensor<3xi32>) -> tensor<1x3xi8>
  return %0 : tensor<1x3xi8>
}

// -----

func.func @shift(%x: tensor<1x8xi8>) -> tensor<1x8xi8> {
  // expected-error @+1 {{shift 63 outside [1, 62]}}
  %0 = qc_accel.requantize %x {input_zp = 0 : i32, max = 127 : i32, min = -128 : i32, multiplier = array<i32: 1073741824>, output_zp = 0 : i32, shift = array<i32: 63>} : tensor<1x8xi8> -> tensor<1x8xi8>
  return %0 : tensor<1x8xi8>
}

// -----

func.func @pool_kind(%x: tensor<1x1x4x4xi8>) -> tensor<1x1x2x2xi8> {
  // expected-error @+1 {{kind must be "max" or "sum", got "min"}}
  %0 = qc_accel.pool %x {input_zp = 0 : i32, kernel = array<i64: 2, 2>, kind = "min", max = 127 : i32, min = -128 : i32, multiplier = array<i32: 1073741824>, output_zp = 0 : i32, pads = array<i64: 0, 0, 0, 0>, shift = array<i32: 30>, strides = array<i64: 2, 2>} : tensor<1x1x4x4xi8> -> tensor<1x1x2x2xi8>
  return %0 : tensor<1x1x2x2xi8>
}

// -----

func.func @lut(%x: tensor<1x8xi8>, %t: tensor<255xi8>) -> tensor<1x8xi8> {
  // expected-error @+1 {{table must have 256 entries}}
  %0 = qc_accel.lut %x, %t : (tensor<1x8xi8>, tensor<255xi8>) -> tensor<1x8xi8>
  return %0 : tensor<1x8xi8>
}

// -----

func.func @launch(%x: tensor<1x8xi8>) -> tensor<1x8xi8> {
  // expected-error @+1 {{callee 'nowhere' does not exist}}
  %0 = qc_accel.launch @nowhere(%x) : (tensor<1x8xi8>) -> tensor<1x8xi8>
  return %0 : tensor<1x8xi8>
}

// -----

// A DMA past the end of the tiny target's 2048-byte activation buffer.
qc_accel.program @p attributes {input_bytes = array<i64: 64>, layers = ["l"], output_bytes = array<i64: 64>, scratch_bytes = 0 : i64, target = "etpu-tiny", weights = dense<0> : tensor<4xi8>} init {
} body {
  // expected-error @+1 {{dma_in: writes UB [2040, 2056) outside its 2048 bytes}}
  %0 = qc_accel.dma_in {buf = 0 : i64, cols = 16 : i64, layer = 0 : i64, off = 0 : i64, rows = 1 : i64, src_stride = 16 : i64, ub = 2040 : i64, ub_stride = 16 : i64}
}

// -----

// Reading past a DRAM buffer: the input has 64 bytes.
qc_accel.program @p attributes {input_bytes = array<i64: 64>, layers = ["l"], output_bytes = array<i64: 64>, scratch_bytes = 0 : i64, target = "etpu-tiny", weights = dense<0> : tensor<4xi8>} init {
} body {
  // expected-error @+1 {{dma_in: reads DRAM buffer 0 [32, 96) outside its 64 bytes}}
  %0 = qc_accel.dma_in {buf = 0 : i64, cols = 16 : i64, layer = 0 : i64, off = 32 : i64, rows = 4 : i64, src_stride = 16 : i64, ub = 0 : i64, ub_stride = 16 : i64}
}

// -----

// A weight tile wider than the 4x4 array.
qc_accel.program @p attributes {input_bytes = array<i64: 64>, layers = ["l"], output_bytes = array<i64: 64>, scratch_bytes = 0 : i64, target = "etpu-tiny", weights = dense<0> : tensor<4xi8>} init {
} body {
  // expected-error @+1 {{load_weights: n = 5 exceeds the array dimension 4}}
  %0 = qc_accel.load_weights {k = 4 : i64, layer = 0 : i64, n = 5 : i64, wb = 0 : i64}
}

// -----

// expected-error @+1 {{unknown target 'tpu9'}}
qc_accel.program @p attributes {input_bytes = array<i64: 64>, layers = ["l"], output_bytes = array<i64: 64>, scratch_bytes = 0 : i64, target = "tpu9", weights = dense<0> : tensor<4xi8>} init {
} body {
}
