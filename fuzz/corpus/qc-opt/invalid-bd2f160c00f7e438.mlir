func.func @fq_not_quant(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qc.fake_quant %x {qtype = i8} : tensor<4xf32>
  return %0 : tensor<4xf32>
}
