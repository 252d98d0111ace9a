func.func @maxpool_types(%x: tensor<1x2x4x4xi8>) -> tensor<1x2x2x2xi32> {
  %0 = qc.max_pool2d %x {kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x2x4x4xi8> -> tensor<1x2x2x2xi32>
  return %0 : tensor<1x2x2x2xi32>
}
