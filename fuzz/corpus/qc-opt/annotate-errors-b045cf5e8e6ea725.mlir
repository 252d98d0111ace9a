func.func @unfolded_bn(%x: tensor<1x2xf32> loc("input"), %p: tensor<2xf32> loc("input")) -> tensor<1x2xf32> {
  %0 = qc.batch_norm %x, %p, %p, %p, %p {epsilon = 1.0e-5 : f32} : (tensor<1x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2xf32> loc("bn")
  return %0 : tensor<1x2xf32>
}
