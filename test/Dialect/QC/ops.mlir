// RUN: qc-opt %s | qc-opt | FileCheck %s
// RUN: qc-opt %s --mlir-print-op-generic | qc-opt | FileCheck %s

// CHECK-LABEL: func @boundary
func.func @boundary(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  // CHECK: qc.fake_quant %{{.*}} {qtype = !quant.uniform<i8:f32, 5.000000e-02:-3>} : tensor<1x4xf32>
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 0.05:-3>} : tensor<1x4xf32>
  // CHECK: qc.quantize %{{.*}} -> tensor<1x4xi8>
  %1 = qc.quantize %0 {qtype = !quant.uniform<i8:f32, 0.05:-3>} : tensor<1x4xf32> -> tensor<1x4xi8>
  // CHECK: qc.requantize %{{.*}} {axis = -1 : i64, input_zp = -3 : i32, max = 127 : i32, min = -128 : i32, multiplier = array<i32: 1073741824>, output_zp = 0 : i32, scale = array<f64: 5.000000e-01>, shift = array<i32: 31>}
  %2 = qc.requantize %1 {axis = -1 : i64, input_zp = -3 : i32, output_zp = 0 : i32, min = -128 : i32, max = 127 : i32, scale = array<f64: 0.5>, multiplier = array<i32: 1073741824>, shift = array<i32: 31>} : tensor<1x4xi8> -> tensor<1x4xi8>
  // CHECK: qc.dequantize %{{.*}} -> tensor<1x4xf32>
  %3 = qc.dequantize %2 {qtype = !quant.uniform<i8:f32, 0.1>} : tensor<1x4xi8> -> tensor<1x4xf32>
  return %3 : tensor<1x4xf32>
}

// CHECK-LABEL: func @per_axis
func.func @per_axis(%w: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: !quant.uniform<i8<-127:127>:f32:0, {1.000000e-01,2.000000e-01}>
  %0 = qc.fake_quant %w {qtype = !quant.uniform<i8<-127:127>:f32:0, {0.1, 0.2}>} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// CHECK-LABEL: func @float_graph
func.func @float_graph(%x: tensor<1x2x8x8xf32>, %w: tensor<4x2x3x3xf32>, %b: tensor<4xf32>,
                       %p: tensor<4xf32>, %g: tensor<3x16xf32>, %gb: tensor<3xf32>) -> tensor<1x3xf32> {
  // CHECK: qc.conv2d
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x2x8x8xf32>, tensor<4x2x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  // CHECK: qc.batch_norm
  %1 = qc.batch_norm %0, %p, %p, %p, %p {epsilon = 1.0e-5 : f32} : (tensor<1x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  // CHECK: qc.max_pool2d
  %2 = qc.max_pool2d %1 {kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x4x4x4xf32> -> tensor<1x4x2x2xf32>
  // CHECK: qc.avg_pool2d
  %3 = qc.avg_pool2d %2 {count_include_pad = false, kernel = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<1x4x2x2xf32> -> tensor<1x4x2x2xf32>
  %4 = tensor.collapse_shape %3 [[0], [1, 2, 3]] : tensor<1x4x2x2xf32> into tensor<1x16xf32>
  // CHECK: qc.gemm
  %5 = qc.gemm %4, %g, %gb : (tensor<1x16xf32>, tensor<3x16xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  return %5 : tensor<1x3xf32>
}

// CHECK-LABEL: func @integer_graph
func.func @integer_graph(%x: tensor<1x2x4x4xi8>, %w: tensor<2x1x3x3xi8>, %b: tensor<2xi32>) -> tensor<1x2x2x2xi32> {
  // CHECK: qc.conv2d {{.*}}group = 2 : i64, input_zp = 5 : i32{{.*}}weight_zp = 0 : i32
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>, input_zp = 5 : i32, weight_zp = 0 : i32} : (tensor<1x2x4x4xi8>, tensor<2x1x3x3xi8>, tensor<2xi32>) -> tensor<1x2x4x4xi32>
  %1 = qc.requantize %0 {axis = 1 : i64, input_zp = 0 : i32, output_zp = 0 : i32, min = -128 : i32, max = 127 : i32, scale = array<f64: 0.5, 0.25>} : tensor<1x2x4x4xi32> -> tensor<1x2x4x4xi8>
  // CHECK: qc.sum_pool2d {{.*}}input_zp = -1 : i32
  %2 = qc.sum_pool2d %1 {input_zp = -1 : i32, kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x2x4x4xi8> -> tensor<1x2x2x2xi32>
  return %2 : tensor<1x2x2x2xi32>
}

// CHECK-LABEL: func @transformer
func.func @transformer(%x: tensor<2x4xf32>, %g: tensor<4xf32>, %q: tensor<2x4xi32>) -> (tensor<2x4xf32>, tensor<2x4xi8>, tensor<2x4xi32>, tensor<2x4xi8>) {
  // CHECK: qc.softmax %{{.*}} : tensor<2x4xf32>
  %0 = qc.softmax %x : tensor<2x4xf32>
  // CHECK: qc.layer_norm %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 9.99999974E-6 : f32} : (tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %1 = qc.layer_norm %0, %g, %g {epsilon = 1.0e-5 : f32} : (tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  // CHECK: qc.gelu %{{.*}} {approximate = "tanh"} : tensor<2x4xf32>
  %2 = qc.gelu %1 {approximate = "tanh"} : tensor<2x4xf32>
  // CHECK: qc.isoftmax %{{.*}} {b_int = 173 : i64, c_int = 11436 : i64, multiplier = 1538201907 : i64, output_zp = -128 : i32, pre_shift = 13 : i64, shift = 46 : i64, x0 = -45 : i64} : tensor<2x4xi32> -> tensor<2x4xi8>
  %3 = qc.isoftmax %q {x0 = -45 : i64, b_int = 173 : i64, c_int = 11436 : i64, pre_shift = 13 : i64, multiplier = 1538201907 : i64, shift = 46 : i64, output_zp = -128 : i32} : tensor<2x4xi32> -> tensor<2x4xi8>
  // CHECK: qc.igelu %{{.*}} {b_int = -2562 : i64, c_int = -7261467 : i64, one = -444 : i64} : tensor<2x4xi32>
  %4 = qc.igelu %q {b_int = -2562 : i64, c_int = -7261467 : i64, one = -444 : i64} : tensor<2x4xi32>
  // CHECK: qc.ilayernorm %{{.*}} {beta = array<i64: 0, 0, 0, 1>, eps = 3 : i64, gamma = array<i64: 1, 2, 3, 4>, k = 30 : i64, output_zp = 2 : i32, shift = 1 : i64} : tensor<2x4xi32> -> tensor<2x4xi8>
  %5 = qc.ilayernorm %q {shift = 1 : i64, eps = 3 : i64, k = 30 : i64, gamma = array<i64: 1, 2, 3, 4>, beta = array<i64: 0, 0, 0, 1>, output_zp = 2 : i32} : tensor<2x4xi32> -> tensor<2x4xi8>
  return %2, %3, %4, %5 : tensor<2x4xf32>, tensor<2x4xi8>, tensor<2x4xi32>, tensor<2x4xi8>
}
