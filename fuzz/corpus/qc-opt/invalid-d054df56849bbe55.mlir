func.func @maxpool_kernel(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %0 = qc.max_pool2d %x {kernel = array<i64: 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32>
  return %0 : tensor<1x2x2x2xf32>
}
