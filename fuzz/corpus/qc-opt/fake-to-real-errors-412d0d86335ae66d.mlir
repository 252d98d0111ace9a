func.func @unsupported(%x: tensor<1x2xf32>, %s: tensor<1xi8>) -> tensor<1x2xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 0.5>} : tensor<1x2xf32>
  %1 = tosa.mul %0, %0, %s : (tensor<1x2xf32>, tensor<1x2xf32>, tensor<1xi8>) -> tensor<1x2xf32>
  %2 = qc.fake_quant %1 {qtype = !quant.uniform<i8:f32, 0.5>} : tensor<1x2xf32>
  return %2 : tensor<1x2xf32>
}
