func.func @add(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 0.5:3>} : tensor<1x2xf32>
  %1 = tosa.add %0, %0 : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x2xf32>
  %2 = qc.fake_quant %1 {qtype = !quant.uniform<i8:f32, 1.0>} : tensor<1x2xf32>
  return %2 : tensor<1x2xf32>
}
