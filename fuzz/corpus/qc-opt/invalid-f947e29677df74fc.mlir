func.func @bn_rank(%x: tensor<4xf32>, %p: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qc.batch_norm %x, %p, %p, %p, %p {epsilon = 1.0e-5 : f32} : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
