// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg --mlir-print-local-scope | FileCheck %s

// Input zero point 3 pads the input and folds into the bias:
// b' = b - 3 * sum(w[o]) = [10 - 3*4, -10 - 3*(-8)] = [-2, 14].
// CHECK-LABEL: func @conv
// CHECK-DAG: %[[ZP:.*]] = arith.constant 3 : i8
// CHECK: %[[PAD:.*]] = tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: tensor.yield %[[ZP]]
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[-2, 14]> : tensor<2xi32>
// CHECK: %[[INIT:.*]] = linalg.broadcast ins(%[[B]] : tensor<2xi32>) outs(%{{.*}} : tensor<1x2x2x2xi32>) dimensions = [0, 2, 3]
// Loops (n, f, c, kh, kw, oh, ow): an output row innermost; stride 2.
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d2, d5 * 2 + d3, d6 * 2 + d4)>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d2, d3, d4)>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d5, d6)>], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction", "parallel", "parallel"]} ins(%[[PAD]], %{{.*}} : tensor<1x1x4x4xi8>, tensor<2x1x2x2xi8>) outs(%[[INIT]] : tensor<1x2x2x2xi32>)
func.func @conv(%x: tensor<1x1x2x2xi8>) -> tensor<1x2x2x2xi32> {
  %w = arith.constant dense<[[[[1, 1], [1, 1]]], [[[-2, -2], [-2, -2]]]]> : tensor<2x1x2x2xi8>
  %b = arith.constant dense<[10, -10]> : tensor<2xi32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, input_zp = 3 : i32, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>, weight_zp = 0 : i32} : (tensor<1x1x2x2xi8>, tensor<2x1x2x2xi8>, tensor<2xi32>) -> tensor<1x2x2x2xi32>
  return %0 : tensor<1x2x2x2xi32>
}

// -----

// Loops (n, f, oh, kh, kw, ow): the taps of an output row accumulate into it
// while it is in cache.
// CHECK-LABEL: func @depthwise
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 + d3, d4 + d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d1, d3, d4)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d5)>], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]} ins(%arg0, %{{.*}} : tensor<1x2x3x3xi8>, tensor<2x3x3xi8>)
func.func @depthwise(%x: tensor<1x2x3x3xi8>) -> tensor<1x2x1x1xi32> {
  %w = arith.constant dense<1> : tensor<2x1x3x3xi8>
  %b = arith.constant dense<0> : tensor<2xi32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 2 : i64, input_zp = 0 : i32, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, weight_zp = 0 : i32} : (tensor<1x2x3x3xi8>, tensor<2x1x3x3xi8>, tensor<2xi32>) -> tensor<1x2x1x1xi32>
  return %0 : tensor<1x2x1x1xi32>
}

// -----

// The weight is transposed to [K, N] at compile time; loops (m, k, n), n
// innermost, so the weight and accumulator rows are contiguous there.
// CHECK-LABEL: func @gemm
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[}}1, 3], [2, 4]]> : tensor<2x2xi8>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[-3, -7]> : tensor<2xi32>
// CHECK: %[[INIT:.*]] = linalg.broadcast ins(%[[B]] : tensor<2xi32>) outs({{.*}}) dimensions = [0]
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%arg0, %[[W]] : tensor<1x2xi8>, tensor<2x2xi8>) outs(%[[INIT]] : tensor<1x2xi32>)
// CHECK: arith.extsi
// CHECK: arith.muli
// CHECK: arith.addi
func.func @gemm(%x: tensor<1x2xi8>) -> tensor<1x2xi32> {
  %w = arith.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>
  %b = arith.constant dense<0> : tensor<2xi32>
  %0 = qc.gemm %x, %w, %b {input_zp = 1 : i32, weight_zp = 0 : i32} : (tensor<1x2xi8>, tensor<2x2xi8>, tensor<2xi32>) -> tensor<1x2xi32>
  return %0 : tensor<1x2xi32>
}

// -----

// CHECK-LABEL: func @requantize
// CHECK-DAG: %[[M:.*]] = arith.constant dense<[1073741824, 1610612736]> : tensor<2xi32>
// CHECK-DAG: %[[S:.*]] = arith.constant dense<[31, 30]> : tensor<2xi8>
// CHECK: linalg.generic {{.*}} ins(%arg0, %[[M]], %[[S]] : tensor<1x2xi32>, tensor<2xi32>, tensor<2xi8>)
// CHECK: ^bb0(%[[V:.*]]: i32, %[[MM:.*]]: i32, %[[SS:.*]]: i8, %{{.*}}: i8):
// CHECK: %[[R:.*]] = tosa.apply_scale %[[V]], %[[MM]], %[[SS]] {rounding_mode = DOUBLE_ROUND}
// CHECK: %[[Z:.*]] = arith.addi %[[R]], %{{.*}}
// CHECK: arith.maxsi %[[Z]]
// CHECK: arith.minsi
// CHECK: arith.trunci {{.*}} : i32 to i8
func.func @requantize(%x: tensor<1x2xi32>) -> tensor<1x2xi8> {
  %0 = qc.requantize %x {axis = 1 : i64, input_zp = 0 : i32, output_zp = 7 : i32, min = -128 : i32, max = 127 : i32, scale = array<f64: 0.5, 1.5>, multiplier = array<i32: 1073741824, 1610612736>, shift = array<i32: 31, 30>} : tensor<1x2xi32> -> tensor<1x2xi8>
  return %0 : tensor<1x2xi8>
}

// -----

// CHECK-LABEL: func @quantize_dequantize
// CHECK: arith.divf
// CHECK: math.roundeven
// CHECK: arith.fptosi {{.*}} : f32 to i8
// CHECK: arith.extsi
// CHECK: arith.subi
// CHECK: arith.sitofp
// CHECK: arith.mulf
func.func @quantize_dequantize(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qc.quantize %x {qtype = !quant.uniform<i8:f32, 0.5:-1>} : tensor<4xf32> -> tensor<4xi8>
  %1 = qc.dequantize %0 {qtype = !quant.uniform<i8:f32, 0.5:-1>} : tensor<4xi8> -> tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func @pools
// CHECK: tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 0, 0]
// CHECK: linalg.pooling_nchw_max
// CHECK: arith.subi
// CHECK: linalg.pooling_nchw_sum
func.func @pools(%x: tensor<1x1x4x4xi8>) -> (tensor<1x1x2x2xi8>, tensor<1x1x2x2xi32>) {
  %0 = qc.max_pool2d %x {kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x1x4x4xi8> -> tensor<1x1x2x2xi8>
  %1 = qc.sum_pool2d %x {input_zp = 2 : i32, kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x1x4x4xi8> -> tensor<1x1x2x2xi32>
  return %0, %1 : tensor<1x1x2x2xi8>, tensor<1x1x2x2xi32>
}

// -----

// Ops kept in float (qc.float) lower too: float padding, bias and pools.
// CHECK-LABEL: func @float_ops
// CHECK: tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: linalg.generic {{.*}} ins({{.*}} : tensor<1x1x4x4xf32>, tensor<1x1x3x3xf32>) outs({{.*}} : tensor<1x1x2x2xf32>)
// CHECK: linalg.pooling_nchw_max {{.*}} -> tensor<1x1x1x1xf32>
// CHECK: linalg.pooling_nchw_sum
// CHECK: arith.divf
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel"]} ins({{.*}} : tensor<1x1xf32>, tensor<1x2xf32>)
func.func @float_ops(%x: tensor<1x1x2x2xf32>) -> (tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1x2xf32>) {
  %w = arith.constant dense<1.0> : tensor<1x1x3x3xf32>
  %b = arith.constant dense<0.5> : tensor<1xf32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x1x2x2xf32>, tensor<1x1x3x3xf32>, tensor<1xf32>) -> tensor<1x1x2x2xf32>
  %1 = qc.max_pool2d %0 {kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x1x2x2xf32> -> tensor<1x1x1x1xf32>
  %2 = qc.avg_pool2d %0 {count_include_pad = false, kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x1x2x2xf32> -> tensor<1x1x1x1xf32>
  %3 = tensor.collapse_shape %1 [[0], [1, 2, 3]] : tensor<1x1x1x1xf32> into tensor<1x1xf32>
  %gw = arith.constant dense<[[1.0], [2.0]]> : tensor<2x1xf32>
  %gb = arith.constant dense<0.0> : tensor<2xf32>
  %4 = qc.gemm %3, %gw, %gb : (tensor<1x1xf32>, tensor<2x1xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  return %1, %2, %4 : tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1x2xf32>
}

// -----

// A float batch norm (input normalization) lowers to y = x * a + b per
// channel, a = scale / sqrt(var + eps) = [4/2, 3/3], b = bias - mean * a =
// [1 - 0.5 * 2, 1 - 0]: two float32 operations per element.
// CHECK-LABEL: func @input_norm
// CHECK-DAG: %[[A:.*]] = arith.constant dense<[2.000000e+00, 1.000000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[0.000000e+00, 1.000000e+00]> : tensor<2xf32>
// CHECK: linalg.generic {{.*}} ins(%arg0, %[[A]], %[[B]] : tensor<1x2xf32>, tensor<2xf32>, tensor<2xf32>)
// CHECK: arith.mulf
// CHECK-NEXT: arith.addf
// CHECK-NOT: qc.batch_norm
func.func @input_norm(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %s = arith.constant dense<[4.0, 3.0]> : tensor<2xf32>
  %bb = arith.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %m = arith.constant dense<[0.5, 0.0]> : tensor<2xf32>
  %v = arith.constant dense<[3.0, 8.0]> : tensor<2xf32>
  %0 = qc.batch_norm %x, %s, %bb, %m, %v {epsilon = 1.0 : f32} : (tensor<1x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  return %0 : tensor<1x2xf32>
}

// -----

// Per-axis quantize / dequantize: scales and zero points are 1-D constants
// indexed along the axis.
// CHECK-LABEL: func @quantize_axis
// CHECK-DAG: %[[S:.*]] = arith.constant dense<[5.000000e-01, 2.500000e-01]> : tensor<2xf32>
// CHECK-DAG: %[[Z:.*]] = arith.constant dense<[1.000000e+00, -2.000000e+00]> : tensor<2xf32>
// CHECK: linalg.generic {{.*}} ins(%arg0, %[[S]], %[[Z]] : tensor<1x2x3xf32>, tensor<2xf32>, tensor<2xf32>)
// CHECK: arith.divf
// CHECK-NEXT: math.roundeven
// CHECK-NEXT: arith.addf
// CHECK-DAG: %[[S2:.*]] = arith.constant dense<[5.000000e-01, 2.500000e-01]> : tensor<2xf32>
// CHECK-DAG: %[[Z2:.*]] = arith.constant dense<[1, -2]> : tensor<2xi32>
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[S2]], %[[Z2]] : tensor<1x2x3xi8>, tensor<2xf32>, tensor<2xi32>)
// CHECK: arith.subi
// CHECK-NEXT: arith.sitofp
// CHECK-NEXT: arith.mulf
func.func @quantize_axis(%x: tensor<1x2x3xf32>) -> tensor<1x2x3xf32> {
  %0 = qc.quantize %x {qtype = !quant.uniform<i8:f32:1, {0.5:1, 0.25:-2}>} : tensor<1x2x3xf32> -> tensor<1x2x3xi8>
  %1 = qc.dequantize %0 {qtype = !quant.uniform<i8:f32:1, {0.5:1, 0.25:-2}>} : tensor<1x2x3xi8> -> tensor<1x2x3xf32>
  return %1 : tensor<1x2x3xf32>
}

// -----

// count_include_pad = 0 with padding divides by the input elements under
// each window: 2x2 input, 2x2 window, pads top / left 1 -> [[1, 2], [2, 4]].
// CHECK-LABEL: func @avgpool_exclude_pad
// CHECK: %[[C:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00], [2.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[C]] : tensor<1x1x2x2xf32>, tensor<2x2xf32>)
// CHECK: arith.divf
func.func @avgpool_exclude_pad(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32> {
  %0 = qc.avg_pool2d %x {count_include_pad = false, kernel = array<i64: 2, 2>, pads = array<i64: 1, 1, 0, 0>, strides = array<i64: 1, 1>} : tensor<1x1x2x2xf32> -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
}
