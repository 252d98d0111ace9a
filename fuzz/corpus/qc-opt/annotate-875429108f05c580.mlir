func.func @conv_relu(%x: tensor<1x1x2x2xf32> loc("input")) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[[[1.0]]], [[[-2.0]]]]> : tensor<2x1x1x1xf32>
  %b = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x2x2xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32> loc("conv")
  %1 = tosa.clamp %0 {max_val = 3.4e38 : f32, min_val = 0.0 : f32} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> loc("relu")
  %2 = qc.max_pool2d %1 {kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x2x2x2xf32> -> tensor<1x2x1x1xf32> loc("pool")
  %3 = tensor.collapse_shape %2 [[0], [1, 2, 3]] : tensor<1x2x1x1xf32> into tensor<1x2xf32> loc("flat")
  %4 = tosa.tanh %3 : (tensor<1x2xf32>) -> tensor<1x2xf32> loc("tanh")
  return %4 : tensor<1x2xf32>
}
