// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg -verify-diagnostics

func.func @not_dyadic(%x: tensor<4xi32>) -> tensor<4xi8> {
  // expected-error @+1 {{requantize has no dyadic form (run --qc-fold-rescale first)}}
  %0 = qc.requantize %x {axis = -1 : i64, input_zp = 0 : i32, output_zp = 0 : i32, min = -128 : i32, max = 127 : i32, scale = array<f64: 0.5>} : tensor<4xi32> -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

func.func @weight_zp(%x: tensor<1x2xi8>) -> tensor<1x2xi32> {
  %w = arith.constant dense<1> : tensor<2x2xi8>
  %b = arith.constant dense<0> : tensor<2xi32>
  // expected-error @+1 {{lowering needs weight zero point 0 (symmetric weights)}}
  %0 = qc.gemm %x, %w, %b {input_zp = 0 : i32, weight_zp = 3 : i32} : (tensor<1x2xi8>, tensor<2x2xi8>, tensor<2xi32>) -> tensor<1x2xi32>
  return %0 : tensor<1x2xi32>
}

// -----

func.func @dynamic_weight(%x: tensor<1x2xi8>, %w: tensor<2x2xi8>) -> tensor<1x2xi32> {
  %b = arith.constant dense<0> : tensor<2xi32>
  // expected-error @+1 {{lowering needs constant weight and bias}}
  %0 = qc.gemm %x, %w, %b {input_zp = 0 : i32, weight_zp = 0 : i32} : (tensor<1x2xi8>, tensor<2x2xi8>, tensor<2xi32>) -> tensor<1x2xi32>
  return %0 : tensor<1x2xi32>
}

// -----

func.func @grouped(%x: tensor<1x4x2x2xi8>) -> tensor<1x4x2x2xi32> {
  %w = arith.constant dense<1> : tensor<4x2x1x1xi8>
  %b = arith.constant dense<0> : tensor<4xi32>
  // expected-error @+1 {{grouped convolution with group 2 is not supported (only 1 or depthwise)}}
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 2 : i64, input_zp = 0 : i32, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, weight_zp = 0 : i32} : (tensor<1x4x2x2xi8>, tensor<4x2x1x1xi8>, tensor<4xi32>) -> tensor<1x4x2x2xi32>
  return %0 : tensor<1x4x2x2xi32>
}

// -----

func.func @bias_overflow(%x: tensor<1x1xi8>) -> tensor<1x1xi32> {
  %w = arith.constant dense<127> : tensor<1x1xi8>
  %b = arith.constant dense<2147483600> : tensor<1xi32>
  // expected-error @+1 {{bias of channel 0 overflows int32 after zero-point folding}}
  %0 = qc.gemm %x, %w, %b {input_zp = -128 : i32, weight_zp = 0 : i32} : (tensor<1x1xi8>, tensor<1x1xi8>, tensor<1xi32>) -> tensor<1x1xi32>
  return %0 : tensor<1x1xi32>
}
