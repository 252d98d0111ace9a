func.func @unquantized_output(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x1x1xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 0.5>} : tensor<1x1x2x2xf32>
  %1 = qc.max_pool2d %0 {kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x1x2x2xf32> -> tensor<1x1x1x1xf32>
  return %1 : tensor<1x1x1x1xf32>
}
