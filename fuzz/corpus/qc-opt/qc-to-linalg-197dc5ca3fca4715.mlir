func.func @conv(%x: tensor<1x1x2x2xi8>) -> tensor<1x2x2x2xi32> {
  %w = arith.constant dense<[[[[1, 1], [1, 1]]], [[[-2, -2], [-2, -2]]]]> : tensor<2x1x2x2xi8>
  %b = arith.constant dense<[10, -10]> : tensor<2xi32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, input_zp = 3 : i32, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>, weight_zp = 0 : i32} : (tensor<1x1x2x2xi8>, tensor<2x1x2x2xi8>, tensor<2xi32>) -> tensor<1x2x2x2xi32>
  return %0 : tensor<1x2x2x2xi32>
}
