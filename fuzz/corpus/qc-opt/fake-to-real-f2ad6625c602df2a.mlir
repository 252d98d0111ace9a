func.func @conv_relu(%x: tensor<1x1x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 0.5:-1>} : tensor<1x1x2x2xf32>
  %w = arith.constant dense<[[[[1.0]]], [[[-1.0]]]]> : tensor<2x1x1x1xf32>
  %wq = qc.fake_quant %w {qtype = !quant.uniform<i8<-127:127>:f32:0, {0.25, 0.5}>} : tensor<2x1x1x1xf32>
  %b = arith.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %bq = qc.fake_quant %b {qtype = !quant.uniform<i32:f32:0, {0.125, 0.25}>} : tensor<2xf32>
  %1 = qc.conv2d %0, %wq, %bq {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x2x2xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  %2 = tosa.clamp %1 {max_val = 3.4e38 : f32, min_val = 0.0 : f32} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %3 = qc.fake_quant %2 {qtype = !quant.uniform<i8:f32, 0.25:-128>} : tensor<1x2x2x2xf32>
  return %3 : tensor<1x2x2x2xf32>
}
