// RUN: qc-opt %s -split-input-file -verify-diagnostics

func.func @fq_not_quant(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{qtype must be a !quant.uniform type}}
  %0 = qc.fake_quant %x {qtype = i8} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @fq_block_tiling(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{qtype block size 3 does not tile dimension 1 of size 4 into 2 blocks}}
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i4<-7:7>:f32:{0:1, 1:3}, {{0.1, 0.2}, {0.1, 0.2}}>} : tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @fq_block_rank(%x: tensor<2x4x1x1xf32>) -> tensor<2x4x1x1xf32> {
  // expected-error @+1 {{qtype scales have rank 2, the tensor has rank 4}}
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i4<-7:7>:f32:{0:1, 1:2}, {{0.1, 0.2}, {0.1, 0.2}}>} : tensor<2x4x1x1xf32>
  return %0 : tensor<2x4x1x1xf32>
}

// -----

func.func @fq_block_dim(%x: tensor<2x2x2xf32>) -> tensor<2x2x2xf32> {
  // expected-error @+1 {{qtype blocks dimension 2; only dimensions 0 and 1 may be blocked}}
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i4<-7:7>:f32:{0:1, 2:1}, {{{0.1, 0.2}}, {{0.1, 0.2}}}>} : tensor<2x2x2xf32>
  return %0 : tensor<2x2x2xf32>
}

// -----

func.func @quantize_blocks(%x: tensor<2x4xf32>) -> tensor<2x4xi8> {
  // expected-error @+1 {{qtype must be a !quant.uniform type per tensor or per axis (blockwise types only on qc.fake_quant)}}
  %0 = qc.quantize %x {qtype = !quant.uniform<i4<-7:7>:f32:{0:1, 1:2}, {{0.1, 0.2}, {0.1, 0.2}}>} : tensor<2x4xf32> -> tensor<2x4xi8>
  return %0 : tensor<2x4xi8>
}

// -----

func.func @fq_axis_range(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{qtype axis 1 out of range for rank 1}}
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32:1, {0.1, 0.2}>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @fq_axis_count(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{qtype has 2 scales but dimension 0 has size 3}}
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32:0, {0.1, 0.2}>} : tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

func.func @fq_expressed(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{qtype must express f32}}
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f16, 0.1>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @quantize_storage(%x: tensor<4xf32>) -> tensor<4xi32> {
  // expected-error @+1 {{result element type must be i8 to match the qtype storage}}
  %0 = qc.quantize %x {qtype = !quant.uniform<i8:f32, 0.1>} : tensor<4xf32> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @dequantize_storage(%x: tensor<4xi32>) -> tensor<4xf32> {
  // expected-error @+1 {{input element type must be i8 to match the qtype storage}}
  %0 = qc.dequantize %x {qtype = !quant.uniform<i8:f32, 0.1>} : tensor<4xi32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @rq_per_tensor_count(%x: tensor<2x4xi32>) -> tensor<2x4xi8> {
  // expected-error @+1 {{per-tensor requantize needs 1 scale, got 2}}
  %0 = qc.requantize %x {axis = -1 : i64, input_zp = 0 : i32, output_zp = 0 : i32, min = -128 : i32, max = 127 : i32, scale = array<f64: 0.1, 0.2>} : tensor<2x4xi32> -> tensor<2x4xi8>
  return %0 : tensor<2x4xi8>
}

// -----

func.func @rq_axis(%x: tensor<2x4xi32>) -> tensor<2x4xi8> {
  // expected-error @+1 {{axis 2 out of range for rank 2}}
  %0 = qc.requantize %x {axis = 2 : i64, input_zp = 0 : i32, output_zp = 0 : i32, min = -128 : i32, max = 127 : i32, scale = array<f64: 0.1>} : tensor<2x4xi32> -> tensor<2x4xi8>
  return %0 : tensor<2x4xi8>
}

// -----

func.func @rq_channels(%x: tensor<2x4xi32>) -> tensor<2x4xi8> {
  // expected-error @+1 {{has 3 scales but dimension 1 has size 4}}
  %0 = qc.requantize %x {axis = 1 : i64, input_zp = 0 : i32, output_zp = 0 : i32, min = -128 : i32, max = 127 : i32, scale = array<f64: 0.1, 0.1, 0.1>} : tensor<2x4xi32> -> tensor<2x4xi8>
  return %0 : tensor<2x4xi8>
}

// -----

func.func @rq_scale(%x: tensor<4xi32>) -> tensor<4xi8> {
  // expected-error @+1 {{scale must be finite and positive}}
  %0 = qc.requantize %x {axis = -1 : i64, input_zp = 0 : i32, output_zp = 0 : i32, min = -128 : i32, max = 127 : i32, scale = array<f64: -0.5>} : tensor<4xi32> -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

func.func @rq_half_dyadic(%x: tensor<4xi32>) -> tensor<4xi8> {
  // expected-error @+1 {{multiplier and shift must be given together}}
  %0 = qc.requantize %x {axis = -1 : i64, input_zp = 0 : i32, output_zp = 0 : i32, min = -128 : i32, max = 127 : i32, scale = array<f64: 0.5>, multiplier = array<i32: 1073741824>} : tensor<4xi32> -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

func.func @rq_shift(%x: tensor<4xi32>) -> tensor<4xi8> {
  // expected-error @+1 {{shift must be in [2, 62], got 70}}
  %0 = qc.requantize %x {axis = -1 : i64, input_zp = 0 : i32, output_zp = 0 : i32, min = -128 : i32, max = 127 : i32, scale = array<f64: 0.5>, multiplier = array<i32: 1073741824>, shift = array<i32: 70>} : tensor<4xi32> -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

func.func @rq_multiplier(%x: tensor<4xi32>) -> tensor<4xi8> {
  // expected-error @+1 {{multiplier must be non-negative, got -5}}
  %0 = qc.requantize %x {axis = -1 : i64, input_zp = 0 : i32, output_zp = 0 : i32, min = -128 : i32, max = 127 : i32, scale = array<f64: 0.5>, multiplier = array<i32: -5>, shift = array<i32: 31>} : tensor<4xi32> -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

func.func @rq_dyadic_count(%x: tensor<4xi32>) -> tensor<4xi8> {
  // expected-error @+1 {{multiplier and shift need one entry per scale}}
  %0 = qc.requantize %x {axis = -1 : i64, input_zp = 0 : i32, output_zp = 0 : i32, min = -128 : i32, max = 127 : i32, scale = array<f64: 0.5>, multiplier = array<i32: 1, 2>, shift = array<i32: 31, 31>} : tensor<4xi32> -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

func.func @rq_clamp_order(%x: tensor<4xi32>) -> tensor<4xi8> {
  // expected-error @+1 {{min 10 exceeds max 5}}
  %0 = qc.requantize %x {axis = -1 : i64, input_zp = 0 : i32, output_zp = 0 : i32, min = 10 : i32, max = 5 : i32, scale = array<f64: 0.5>} : tensor<4xi32> -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

func.func @rq_clamp_range(%x: tensor<4xi32>) -> tensor<4xi8> {
  // expected-error @+1 {{clamp [0, 300] exceeds the result type range}}
  %0 = qc.requantize %x {axis = -1 : i64, input_zp = 0 : i32, output_zp = 0 : i32, min = 0 : i32, max = 300 : i32, scale = array<f64: 0.5>} : tensor<4xi32> -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

func.func @rq_input_zp(%x: tensor<4xi8>) -> tensor<4xi8> {
  // expected-error @+1 {{input_zp 200 outside the input type range}}
  %0 = qc.requantize %x {axis = -1 : i64, input_zp = 200 : i32, output_zp = 0 : i32, min = -128 : i32, max = 127 : i32, scale = array<f64: 0.5>} : tensor<4xi8> -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

func.func @bn_rank(%x: tensor<4xf32>, %p: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{input must have rank >= 2 (N, C, ...)}}
  %0 = qc.batch_norm %x, %p, %p, %p, %p {epsilon = 1.0e-5 : f32} : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @bn_params(%x: tensor<1x4xf32>, %p: tensor<3xf32>) -> tensor<1x4xf32> {
  // expected-error @+1 {{parameters must be 1-D of size 4}}
  %0 = qc.batch_norm %x, %p, %p, %p, %p {epsilon = 1.0e-5 : f32} : (tensor<1x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}

// -----

func.func @bn_result(%x: tensor<1x4xf32>, %p: tensor<4xf32>) -> tensor<1x5xf32> {
  // expected-error @+1 {{result type must equal the input type}}
  %0 = qc.batch_norm %x, %p, %p, %p, %p {epsilon = 1.0e-5 : f32} : (tensor<1x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x5xf32>
  return %0 : tensor<1x5xf32>
}

// -----

func.func @conv_weight_rank(%x: tensor<1x2x4x4xf32>, %w: tensor<4x2x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  // expected-error @+1 {{weight must be rank 4 (OIHW)}}
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<4x2x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// -----

func.func @conv_bias(%x: tensor<1x2x4x4xf32>, %w: tensor<4x2x3x3xf32>, %b: tensor<3xf32>) -> tensor<1x4x4x4xf32> {
  // expected-error @+1 {{bias must be 1-D with one entry per output channel}}
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<4x2x3x3xf32>, tensor<3xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// -----

func.func @conv_group(%x: tensor<1x3x4x4xf32>, %w: tensor<4x1x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  // expected-error @+1 {{group 2 must divide input channels 3 and output channels 4}}
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x3x4x4xf32>, tensor<4x1x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// -----

func.func @conv_in_channels(%x: tensor<1x2x4x4xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  // expected-error @+1 {{weight dim 1 must be input channels / group = 2}}
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// -----

func.func @conv_pads(%x: tensor<1x2x4x4xf32>, %w: tensor<4x2x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  // expected-error @+1 {{pads need 4 entries [top, left, bottom, right]}}
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<4x2x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// -----

func.func @conv_stride(%x: tensor<1x2x4x4xf32>, %w: tensor<4x2x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  // expected-error @+1 {{kernel, strides and dilations must be positive}}
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 0, 1>} : (tensor<1x2x4x4xf32>, tensor<4x2x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// -----

func.func @conv_negative_pad(%x: tensor<1x2x4x4xf32>, %w: tensor<4x2x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  // expected-error @+1 {{pads must be non-negative}}
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: -1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<4x2x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// -----

func.func @conv_shape(%x: tensor<1x2x4x4xf32>, %w: tensor<4x2x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x3x3xf32> {
  // expected-error @+1 {{result shape must be 1x4x4x4}}
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<4x2x3x3xf32>, tensor<4xf32>) -> tensor<1x4x3x3xf32>
  return %0 : tensor<1x4x3x3xf32>
}

// -----

func.func @conv_window(%x: tensor<1x2x2x2xf32>, %w: tensor<4x2x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x1x1xf32> {
  // expected-error @+1 {{window does not fit the input: spatial dim 0 would have size 0}}
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x2x2xf32>, tensor<4x2x3x3xf32>, tensor<4xf32>) -> tensor<1x4x1x1xf32>
  return %0 : tensor<1x4x1x1xf32>
}

// -----

func.func @conv_float_zp(%x: tensor<1x2x4x4xf32>, %w: tensor<4x2x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  // expected-error @+1 {{float form takes no zero points}}
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>, input_zp = 0 : i32} : (tensor<1x2x4x4xf32>, tensor<4x2x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// -----

func.func @conv_mixed(%x: tensor<1x2x4x4xf32>, %w: tensor<4x2x3x3xi8>, %b: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  // expected-error @+1 {{float form needs f32 weight, bias and result}}
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<4x2x3x3xi8>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// -----

func.func @conv_int_types(%x: tensor<1x2x4x4xi8>, %w: tensor<4x2x3x3xi8>, %b: tensor<4xi8>) -> tensor<1x4x4x4xi32> {
  // expected-error @+1 {{integer form needs i8 input and weight, i32 bias and result}}
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>, input_zp = 0 : i32, weight_zp = 0 : i32} : (tensor<1x2x4x4xi8>, tensor<4x2x3x3xi8>, tensor<4xi8>) -> tensor<1x4x4x4xi32>
  return %0 : tensor<1x4x4x4xi32>
}

// -----

func.func @conv_int_zp(%x: tensor<1x2x4x4xi8>, %w: tensor<4x2x3x3xi8>, %b: tensor<4xi32>) -> tensor<1x4x4x4xi32> {
  // expected-error @+1 {{integer form needs input_zp and weight_zp}}
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xi8>, tensor<4x2x3x3xi8>, tensor<4xi32>) -> tensor<1x4x4x4xi32>
  return %0 : tensor<1x4x4x4xi32>
}

// -----

func.func @conv_int_zp_range(%x: tensor<1x2x4x4xi8>, %w: tensor<4x2x3x3xi8>, %b: tensor<4xi32>) -> tensor<1x4x4x4xi32> {
  // expected-error @+1 {{zero points must fit i8}}
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>, input_zp = 300 : i32, weight_zp = 0 : i32} : (tensor<1x2x4x4xi8>, tensor<4x2x3x3xi8>, tensor<4xi32>) -> tensor<1x4x4x4xi32>
  return %0 : tensor<1x4x4x4xi32>
}

// -----

func.func @gemm_rank(%a: tensor<4xf32>, %w: tensor<3x4xf32>, %b: tensor<3xf32>) -> tensor<1x3xf32> {
  // expected-error @+1 {{input, weight and result must be rank 2}}
  %0 = qc.gemm %a, %w, %b : (tensor<4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  return %0 : tensor<1x3xf32>
}

// -----

func.func @gemm_k(%a: tensor<1x5xf32>, %w: tensor<3x4xf32>, %b: tensor<3xf32>) -> tensor<1x3xf32> {
  // expected-error @+1 {{reduction sizes differ: input has 5, weight has 4}}
  %0 = qc.gemm %a, %w, %b : (tensor<1x5xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  return %0 : tensor<1x3xf32>
}

// -----

func.func @gemm_bias(%a: tensor<1x4xf32>, %w: tensor<3x4xf32>, %b: tensor<4xf32>) -> tensor<1x3xf32> {
  // expected-error @+1 {{bias must be 1-D of size N = 3}}
  %0 = qc.gemm %a, %w, %b : (tensor<1x4xf32>, tensor<3x4xf32>, tensor<4xf32>) -> tensor<1x3xf32>
  return %0 : tensor<1x3xf32>
}

// -----

func.func @gemm_result(%a: tensor<1x4xf32>, %w: tensor<3x4xf32>, %b: tensor<3xf32>) -> tensor<1x4xf32> {
  // expected-error @+1 {{result must be [M, N]}}
  %0 = qc.gemm %a, %w, %b : (tensor<1x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}

// -----

func.func @maxpool_types(%x: tensor<1x2x4x4xi8>) -> tensor<1x2x2x2xi32> {
  // expected-error @+1 {{input and result must both be f32 or both i8}}
  %0 = qc.max_pool2d %x {kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x2x4x4xi8> -> tensor<1x2x2x2xi32>
  return %0 : tensor<1x2x2x2xi32>
}

// -----

func.func @maxpool_kernel(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  // expected-error @+1 {{kernel, strides and dilations need 2 entries}}
  %0 = qc.max_pool2d %x {kernel = array<i64: 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32>
  return %0 : tensor<1x2x2x2xf32>
}

// -----

func.func @avgpool_rank(%x: tensor<2x4x4xf32>) -> tensor<2x2x2xf32> {
  // expected-error @+1 {{input and result must be rank 4 (NCHW)}}
  %0 = qc.avg_pool2d %x {count_include_pad = false, kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<2x4x4xf32> -> tensor<2x2x2xf32>
  return %0 : tensor<2x2x2xf32>
}

// -----

func.func @sumpool_zp(%x: tensor<1x2x4x4xi8>) -> tensor<1x2x2x2xi32> {
  // expected-error @+1 {{input_zp must fit i8}}
  %0 = qc.sum_pool2d %x {input_zp = 1000 : i32, kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x2x4x4xi8> -> tensor<1x2x2x2xi32>
  return %0 : tensor<1x2x2x2xi32>
}

// -----

func.func @rq_no_factor(%x: tensor<4xi32>) -> tensor<4xi8> {
  // expected-error @+1 {{needs a scale or a multiplier and shift}}
  %0 = qc.requantize %x {axis = -1 : i64, input_zp = 0 : i32, output_zp = 0 : i32, min = -128 : i32, max = 127 : i32} : tensor<4xi32> -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

func.func @layer_norm_scale_size(%x: tensor<2x4xf32>, %g: tensor<3xf32>, %b: tensor<4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{scale must be 1-D of size 4 (the last axis)}}
  %0 = qc.layer_norm %x, %g, %b {epsilon = 1.0e-5 : f32} : (tensor<2x4xf32>, tensor<3xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @layer_norm_negative_eps(%x: tensor<2x4xf32>, %g: tensor<4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{epsilon must be >= 0}}
  %0 = qc.layer_norm %x, %g, %g {epsilon = -1.0 : f32} : (tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @gelu_kind(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{approximate must be "none" or "tanh", got "sigmoid"}}
  %0 = qc.gelu %x {approximate = "sigmoid"} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @isoftmax_constants(%x: tensor<4xi32>) -> tensor<4xi8> {
  // expected-error @+1 {{needs x0 < 0, b_int > 0 and c_int > 0}}
  %0 = qc.isoftmax %x {x0 = 45 : i64, b_int = 173 : i64, c_int = 11436 : i64, pre_shift = 13 : i64, multiplier = 1538201907 : i64, shift = 46 : i64, output_zp = -128 : i32} : tensor<4xi32> -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

func.func @isoftmax_c_int(%x: tensor<4xi32>) -> tensor<4xi8> {
  // expected-error @+1 {{c_int must be < 2^33}}
  %0 = qc.isoftmax %x {x0 = -45 : i64, b_int = 173 : i64, c_int = 8589934592 : i64, pre_shift = 13 : i64, multiplier = 1538201907 : i64, shift = 46 : i64, output_zp = -128 : i32} : tensor<4xi32> -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

func.func @isoftmax_shift(%x: tensor<4xi32>) -> tensor<4xi8> {
  // expected-error @+1 {{pre_shift must be in [0, 62] and shift in [1, 62]}}
  %0 = qc.isoftmax %x {x0 = -45 : i64, b_int = 173 : i64, c_int = 11436 : i64, pre_shift = 13 : i64, multiplier = 1538201907 : i64, shift = 0 : i64, output_zp = -128 : i32} : tensor<4xi32> -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

func.func @igelu_constants(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{needs b_int, c_int and one < 0}}
  %0 = qc.igelu %x {b_int = -2562 : i64, c_int = -7261467 : i64, one = 444 : i64} : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @ilayernorm_sizes(%x: tensor<2x4xi32>) -> tensor<2x4xi8> {
  // expected-error @+1 {{gamma and beta need 4 entries (the last axis)}}
  %0 = qc.ilayernorm %x {shift = 0 : i64, eps = 0 : i64, k = 30 : i64, gamma = array<i64: 1, 2>, beta = array<i64: 0, 0, 0, 0>, output_zp = 0 : i32} : tensor<2x4xi32> -> tensor<2x4xi8>
  return %0 : tensor<2x4xi8>
}

// -----

func.func @ilayernorm_k(%x: tensor<4xi32>) -> tensor<4xi8> {
  // expected-error @+1 {{k must be in [1, 62]}}
  %0 = qc.ilayernorm %x {shift = 0 : i64, eps = 0 : i64, k = 0 : i64, gamma = array<i64: 1, 2, 3, 4>, beta = array<i64: 0, 0, 0, 0>, output_zp = 0 : i32} : tensor<4xi32> -> tensor<4xi8>
  return %0 : tensor<4xi8>
}
