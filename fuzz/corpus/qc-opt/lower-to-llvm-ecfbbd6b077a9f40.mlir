func.func @qc_model(%x: tensor<1x1x4x4xf32>) -> tensor<1x2xf32> attributes {llvm.emit_c_interface} {
  %0 = qc.quantize %x {qtype = !quant.uniform<i8:f32, 0.5:-1>} : tensor<1x1x4x4xf32> -> tensor<1x1x4x4xi8>
  %w = arith.constant dense<1> : tensor<2x1x3x3xi8>
  %b = arith.constant dense<0> : tensor<2xi32>
  %1 = qc.conv2d %0, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, input_zp = -1 : i32, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>, weight_zp = 0 : i32} : (tensor<1x1x4x4xi8>, tensor<2x1x3x3xi8>, tensor<2xi32>) -> tensor<1x2x4x4xi32>
  %2 = qc.requantize %1 {axis = 1 : i64, input_zp = 0 : i32, output_zp = 0 : i32, min = 0 : i32, max = 127 : i32, scale = array<f64: 0.5, 0.5>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 31, 31>} : tensor<1x2x4x4xi32> -> tensor<1x2x4x4xi8>
  %3 = qc.max_pool2d %2 {kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x2x4x4xi8> -> tensor<1x2x2x2xi8>
  %4 = qc.sum_pool2d %3 {input_zp = 0 : i32, kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x2x2x2xi8> -> tensor<1x2x1x1xi32>
  %5 = qc.requantize %4 {axis = -1 : i64, input_zp = 0 : i32, output_zp = 0 : i32, min = -128 : i32, max = 127 : i32, scale = array<f64: 0.25>, multiplier = array<i32: 1073741824>, shift = array<i32: 32>} : tensor<1x2x1x1xi32> -> tensor<1x2x1x1xi8>
  %6 = tensor.collapse_shape %5 [[0], [1, 2, 3]] : tensor<1x2x1x1xi8> into tensor<1x2xi8>
  %t = arith.constant dense<0> : tensor<256xi8>
  %7 = tosa.table %6, %t : (tensor<1x2xi8>, tensor<256xi8>) -> tensor<1x2xi8>
  %8 = qc.dequantize %7 {qtype = !quant.uniform<i8:f32, 0.5>} : tensor<1x2xi8> -> tensor<1x2xf32>
  return %8 : tensor<1x2xf32>
}
