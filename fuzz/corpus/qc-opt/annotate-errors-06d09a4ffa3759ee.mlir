func.func @weights_not_constant(%x: tensor<1x2xf32> loc("input"), %w: tensor<2x2xf32> loc("input")) -> tensor<1x2xf32> {
  %b = arith.constant dense<0.0> : tensor<2xf32>
  %0 = qc.gemm %x, %w, %b : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32> loc("gemm")
  return %0 : tensor<1x2xf32>
}
