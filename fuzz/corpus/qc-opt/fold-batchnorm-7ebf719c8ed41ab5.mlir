func.func @bn_gemm(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 3.0]]> : tensor<2x2xf32>
  %b = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %s = arith.constant dense<[4.0, 3.0]> : tensor<2xf32>
  %bb = arith.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %m = arith.constant dense<[0.5, 0.0]> : tensor<2xf32>
  %v = arith.constant dense<[3.0, 8.0]> : tensor<2xf32>
  %0 = qc.batch_norm %x, %s, %bb, %m, %v {epsilon = 1.0 : f32} : (tensor<1x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %1 = qc.gemm %0, %w, %b : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  return %1 : tensor<1x2xf32>
}
