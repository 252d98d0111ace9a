func.func @grouped(%x: tensor<1x4x2x2xi8>) -> tensor<1x4x2x2xi32> {
  %w = arith.constant dense<1> : tensor<4x2x1x1xi8>
  %b = arith.constant dense<0> : tensor<4xi32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 2 : i64, input_zp = 0 : i32, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, weight_zp = 0 : i32} : (tensor<1x4x2x2xi8>, tensor<4x2x1x1xi8>, tensor<4xi32>) -> tensor<1x4x2x2xi32>
  return %0 : tensor<1x4x2x2xi32>
}
