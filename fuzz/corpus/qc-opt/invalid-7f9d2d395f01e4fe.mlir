func.func @fq_axis_range(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32:1, {0.1, 0.2}>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}
