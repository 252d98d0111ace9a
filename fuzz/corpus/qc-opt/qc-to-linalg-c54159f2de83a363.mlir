func.func @pools(%x: tensor<1x1x4x4xi8>) -> (tensor<1x1x2x2xi8>, tensor<1x1x2x2xi32>) {
  %0 = qc.max_pool2d %x {kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x1x4x4xi8> -> tensor<1x1x2x2xi8>
  %1 = qc.sum_pool2d %x {input_zp = 2 : i32, kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x1x4x4xi8> -> tensor<1x1x2x2xi32>
  return %0, %1 : tensor<1x1x2x2xi8>, tensor<1x1x2x2xi32>
}
