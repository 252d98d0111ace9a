func.func @avgpool_rank(%x: tensor<2x4x4xf32>) -> tensor<2x2x2xf32> {
  %0 = qc.avg_pool2d %x {count_include_pad = false, kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<2x4x4xf32> -> tensor<2x2x2xf32>
  return %0 : tensor<2x2x2xf32>
}
