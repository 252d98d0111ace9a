func.func @avgpool_padding(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 0.5>} : tensor<1x1x2x2xf32>
  %1 = qc.avg_pool2d %0 {count_include_pad = false, kernel = array<i64: 2, 2>, pads = array<i64: 1, 1, 0, 0>, strides = array<i64: 1, 1>} : tensor<1x1x2x2xf32> -> tensor<1x1x2x2xf32>
  %2 = qc.fake_quant %1 {qtype = !quant.uniform<i8:f32, 0.5>} : tensor<1x1x2x2xf32>
  return %2 : tensor<1x1x2x2xf32>
}
