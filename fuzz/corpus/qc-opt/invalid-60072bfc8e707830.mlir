func.func @fq_axis_count(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32:0, {0.1, 0.2}>} : tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}
