func.func @dynamic_weight(%x: tensor<1x2xi8>, %w: tensor<2x2xi8>) -> tensor<1x2xi32> {
  %b = arith.constant dense<0> : tensor<2xi32>
  %0 = qc.gemm %x, %w, %b {input_zp = 0 : i32, weight_zp = 0 : i32} : (tensor<1x2xi8>, tensor<2x2xi8>, tensor<2xi32>) -> tensor<1x2xi32>
  return %0 : tensor<1x2xi32>
}
