func.func @gemm(%x: tensor<1x2xi8>) -> tensor<1x2xi32> {
  %w = arith.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>
  %b = arith.constant dense<0> : tensor<2xi32>
  %0 = qc.gemm %x, %w, %b {input_zp = 1 : i32, weight_zp = 0 : i32} : (tensor<1x2xi8>, tensor<2x2xi8>, tensor<2xi32>) -> tensor<1x2xi32>
  return %0 : tensor<1x2xi32>
}
