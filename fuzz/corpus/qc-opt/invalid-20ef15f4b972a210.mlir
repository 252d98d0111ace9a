func.func @fq_expressed(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f16, 0.1>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}
