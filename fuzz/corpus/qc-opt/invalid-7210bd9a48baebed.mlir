func.func @conv_int_zp_range(%x: tensor<1x2x4x4xi8>, %w: tensor<4x2x3x3xi8>, %b: tensor<4xi32>) -> tensor<1x4x4x4xi32> {
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>, input_zp = 300 : i32, weight_zp = 0 : i32} : (tensor<1x2x4x4xi8>, tensor<4x2x3x3xi8>, tensor<4xi32>) -> tensor<1x4x4x4xi32>
  return %0 : tensor<1x4x4x4xi32>
}
