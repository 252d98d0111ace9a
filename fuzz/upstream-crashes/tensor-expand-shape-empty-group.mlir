func.func @relu6_avghool(%x: tensor<1x2xf32>) -> tensor<1x1x1x1xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 0.5>} : tensor<1x2xf32>
  %w = arith.constant dense<1.0> : tensor<4x2xf32>
  %wq = qc.fake_quant %w {qtype = !quant.uniform<i8<-127:127>:f32:0, {0.5, 0.5, 0.5, 0.5}>} : tensor<4x2xf32>
  %b = arith.constant dense<0.0> : tensor<4xf32>
  %bq = qc.fake_quant %b {qtype = !quant.uniform<i32:f32:0, {0.25, 0.25, 0.25, 0.25}>} : tensor<4xf32>
  %1 = qc.gemm %0, %wq, %bq : (tensor<1x2xf32>, tensor<4x2xf32>, tensor<4xf32>) -> tensor<1x4xf32>
  %2 = tosa.clamp %1 {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x4xf32>) -> tensor<1x4xf32>
  %3 = qc.fake_quant %2 {qtype = !quant.uniform<i8:f32, 0.25:-128>} : tensor<1x4xf32>
  %4 = tensor.expand_shape %3 [[0], [1, 2, 3]] output_shape [1, 1, 2, 2] : tensor<1x4xf32> into tensor<1x1x2x2xf32>
  %5 = qc.fake_quant %4 {qtype = !quant.uniform<i8:f32, 0.25:-128>} : tensor<1x1x2x2xf32>
  %6 = qc.avg_pool2d %5 {count_include_pad = false, kernel = array<i64: 2, 0>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x1x2x2xf32> -> tensor<1x1x1x1xf32>
  %7 = qc.fake_quant %6 {qtype = !quant.uniform<i8:f32, 0.125:3>} : tensor<1x1x1x1xf32>
  return %7 : tensor<1x1x1x1xf32>
}
func.func @relu6_avgpool(%x: tensor<1x2xf32>) -> tensor<1x1x1x1xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 0.5>} : tensor<1x2xf32>
  %w = arith.constant dense<1.0> : tensor<4x2xf32>
  %wq = qc.fake_quant %w {qtype = !quant.uniform<i8<-127:127>:f32:0, {0.5, 0.5, 0.5, 0.5}>} : tensor<4x2xf32>
  %b = arith.constant dense<0.> : tensor<4xf32>
  %bq = qc.fake_quant %b {qtype = !quant.uniform<i32:f32:0, {0.25, 0.25, 0.25, 0.25}>} : tensor<4xf32>
  %1 = qc.gemm %0, %wq, %bq : (tensor<1x2xf32>, tensor<4x2xf32>, tensor<4xf32>) -> tensor<1x4xf32>
  %2 = tosa.clamp %1 {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x4xf32>) -> tensor<1x4xf32>
  %3 = qc.fake_quant %2 {qtype = !quant.uniform<i8:f32, 0.25:-128>} : tensor<1x4xf32>
  %4 = tensor.expand_shape %3 [[ ], [1, 2, 3]] output_shape [1, 1, 2, 2] : tensor<1x4xf32> into tensor<1x1x2x2xf32>
  %5 = qc.fake_quant %4 {qtype = !quant.uniform<i8:f32, 0.25:-128>} : tensor<1x1x2x2xf32>
  %6 = qc.avg_pool2d %5 {count_include_pad = false, kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x1x2x2xf32> -> tensor<1x1x1x1xf32>
  %7 = qc.fake_quant %6 {qtype = !quant.uniform<i8:f32, 0.125:3>} : tensor<1x1x1x1xf32>
  return %7 : tensor<1x1x1x1xf32>
}
