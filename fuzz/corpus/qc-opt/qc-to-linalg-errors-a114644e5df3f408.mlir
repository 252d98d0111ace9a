func.func @bias_overflow(%x: tensor<1x1xi8>) -> tensor<1x1xi32> {
  %w = arith.constant dense<127> : tensor<1x1xi8>
  %b = arith.constant dense<2147483600> : tensor<1xi32>
  %0 = qc.gemm %x, %w, %b {input_zp = -128 : i32, weight_zp = 0 : i32} : (tensor<1x1xi8>, tensor<1x1xi8>, tensor<1xi32>) -> tensor<1x1xi32>
  return %0 : tensor<1x1xi32>
}
