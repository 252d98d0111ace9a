func.func @unquantized_weight(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 0.5>} : tensor<1x2xf32>
  %w = arith.constant dense<1.0> : tensor<2x2xf32>
  %b = arith.constant dense<0.0> : tensor<2xf32>
  %1 = qc.gemm %0, %w, %b : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %2 = qc.fake_quant %1 {qtype = !quant.uniform<i8:f32, 0.5>} : tensor<1x2xf32>
  return %2 : tensor<1x2xf32>
}
