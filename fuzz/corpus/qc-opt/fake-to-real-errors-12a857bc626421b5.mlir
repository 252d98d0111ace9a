func.func @accumulator_overflow(%x: tensor<1x70000xf32>) -> tensor<1x1xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 0.5:127>} : tensor<1x70000xf32>
  %w = arith.constant dense<1.0> : tensor<1x70000xf32>
  %wq = qc.fake_quant %w {qtype = !quant.uniform<i8<-127:127>:f32:0, {0.007874015748031496}>} : tensor<1x70000xf32>
  %b = arith.constant dense<0.0> : tensor<1xf32>
  %bq = qc.fake_quant %b {qtype = !quant.uniform<i32:f32:0, {0.003937007874015748}>} : tensor<1xf32>
  %1 = qc.gemm %0, %wq, %bq : (tensor<1x70000xf32>, tensor<1x70000xf32>, tensor<1xf32>) -> tensor<1x1xf32>
  %2 = qc.fake_quant %1 {qtype = !quant.uniform<i8:f32, 0.5>} : tensor<1x1xf32>
  return %2 : tensor<1x1xf32>
}
