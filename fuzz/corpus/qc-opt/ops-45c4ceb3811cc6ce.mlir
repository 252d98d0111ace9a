func.func @boundary(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 0.05:-3>} : tensor<1x4xf32>
  %1 = qc.quantize %0 {qtype = !quant.uniform<i8:f32, 0.05:-3>} : tensor<1x4xf32> -> tensor<1x4xi8>
  %2 = qc.requantize %1 {axis = -1 : i64, input_zp = -3 : i32, output_zp = 0 : i32, min = -128 : i32, max = 127 : i32, scale = array<f64: 0.5>, multiplier = array<i32: 1073741824>, shift = array<i32: 31>} : tensor<1x4xi8> -> tensor<1x4xi8>
  %3 = qc.dequantize %2 {qtype = !quant.uniform<i8:f32, 0.1>} : tensor<1x4xi8> -> tensor<1x4xf32>
  return %3 : tensor<1x4xf32>
}

func.func @per_axis(%w: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = qc.fake_quant %w {qtype = !quant.uniform<i8<-127:127>:f32:0, {0.1, 0.2}>} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

func.func @float_graph(%x: tensor<1x2x8x8xf32>, %w: tensor<4x2x3x3xf32>, %b: tensor<4xf32>,
                       %p: tensor<4xf32>, %g: tensor<3x16xf32>, %gb: tensor<3xf32>) -> tensor<1x3xf32> {
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x2x8x8xf32>, tensor<4x2x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  %1 = qc.batch_norm %0, %p, %p, %p, %p {epsilon = 1.0e-5 : f32} : (tensor<1x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  %2 = qc.max_pool2d %1 {kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x4x4x4xf32> -> tensor<1x4x2x2xf32>
  %3 = qc.avg_pool2d %2 {count_include_pad = false, kernel = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<1x4x2x2xf32> -> tensor<1x4x2x2xf32>
  %4 = tensor.collapse_shape %3 [[0], [1, 2, 3]] : tensor<1x4x2x2xf32> into tensor<1x16xf32>
  %5 = qc.gemm %4, %g, %gb : (tensor<1x16xf32>, tensor<3x16xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  return %5 : tensor<1x3xf32>
}

func.func @integer_graph(%x: tensor<1x2x4x4xi8>, %w: tensor<2x1x3x3xi8>, %b: tensor<2xi32>) -> tensor<1x2x2x2xi32> {
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>, input_zp = 5 : i32, weight_zp = 0 : i32} : (tensor<1x2x4x4xi8>, tensor<2x1x3x3xi8>, tensor<2xi32>) -> tensor<1x2x4x4xi32>
  %1 = qc.requantize %0 {axis = 1 : i64, input_zp = 0 : i32, output_zp = 0 : i32, min = -128 : i32, max = 127 : i32, scale = array<f64: 0.5, 0.25>} : tensor<1x2x4x4xi32> -> tensor<1x2x4x4xi8>
  %2 = qc.sum_pool2d %1 {input_zp = -1 : i32, kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x2x4x4xi8> -> tensor<1x2x2x2xi32>
  return %2 : tensor<1x2x2x2xi32>
}
