// RUN: qc-opt %s -split-input-file --qc-fake-to-real --mlir-print-elementsattrs-with-hex-if-larger=1000 | FileCheck %s

// Weights 1.0 / -1.0 at scales 0.25 / 0.5 become 4 / -2; bias 1.0 / -1.0 at
// 0.125 / 0.25 becomes 8 / -4. The requantize scale per channel is
// s_in * s_w / s_out = 0.5 * {0.25, 0.5} / 0.25 = {0.5, 1.0}. The ReLU
// becomes an integer clamp at the output zero point.
// CHECK-LABEL: func @conv_relu
// CHECK: %[[Q:.*]] = qc.quantize %arg0 {qtype = !quant.uniform<i8:f32, 5.000000e-01:-1>} : tensor<1x1x2x2xf32> -> tensor<1x1x2x2xi8>
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}4]]], {{\[\[\[}}-2]]]]> : tensor<2x1x1x1xi8>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[8, -4]> : tensor<2xi32>
// CHECK: %[[ACC:.*]] = qc.conv2d %[[Q]], %[[W]], %[[B]] {{{.*}}input_zp = -1 : i32{{.*}}weight_zp = 0 : i32} : (tensor<1x1x2x2xi8>, tensor<2x1x1x1xi8>, tensor<2xi32>) -> tensor<1x2x2x2xi32>
// CHECK: %[[R:.*]] = qc.requantize %[[ACC]] {axis = 1 : i64, input_zp = 0 : i32, max = 127 : i32, min = -128 : i32, output_zp = -128 : i32, scale = array<f64: 5.000000e-01, 1.000000e+00>}
// CHECK: %[[C:.*]] = tosa.clamp %[[R]] {max_val = 127 : i8, min_val = -128 : i8}
// CHECK: %[[D:.*]] = qc.dequantize %[[C]] {qtype = !quant.uniform<i8:f32, 2.500000e-01:-128>} : tensor<1x2x2x2xi8> -> tensor<1x2x2x2xf32>
// CHECK: return %[[D]]
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

// -----

// ReLU6 at scale 0.25, zp -128: upper bound -128 + rne(6 / 0.25) = -104.
// Average pool 2x2 becomes a window sum and a requantize by
// s_in / (4 * s_out) = 0.25 / (4 * 0.125).
// CHECK-LABEL: func @relu6_avgpool
// CHECK: qc.gemm
// CHECK: %[[R:.*]] = qc.requantize
// CHECK: tosa.clamp %[[R]] {max_val = -104 : i8, min_val = -128 : i8}
// CHECK: %[[S:.*]] = qc.sum_pool2d %{{.*}} {input_zp = -128 : i32, kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x1x2x2xi8> -> tensor<1x1x1x1xi32>
// CHECK: qc.requantize %[[S]] {axis = -1 : i64, input_zp = 0 : i32, max = 127 : i32, min = -128 : i32, output_zp = 3 : i32, scale = array<f64: 5.000000e-01>}
func.func @relu6_avgpool(%x: tensor<1x2xf32>) -> tensor<1x1x1x1xf32> {
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
  %6 = qc.avg_pool2d %5 {count_include_pad = false, kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x1x2x2xf32> -> tensor<1x1x1x1xf32>
  %7 = qc.fake_quant %6 {qtype = !quant.uniform<i8:f32, 0.125:3>} : tensor<1x1x1x1xf32>
  return %7 : tensor<1x1x1x1xf32>
}

// -----

// Tanh becomes a 256-entry table: entry i is quantize(tanh(s_in * (i - 128 - zp))).
// With s_in = 1/16 and output 1/128: table[128 + 16] = rne(128 * tanh(1.0)) = 97 (0, 8, 16, ... 94, 97, 101).
// Max pool keeps its input's parameters and runs on i8.
// CHECK-LABEL: func @tanh_maxpool
// CHECK: %[[P:.*]] = qc.max_pool2d %{{.*}} : tensor<1x1x2x2xi8> -> tensor<1x1x1x1xi8>
// CHECK: %[[T:.*]] = arith.constant dense<[-128, -128, {{.*}}, -8, 0, 8, 16, {{.*}}, 90, 94, 97, 101, 104, {{.*}}, 127, 127]> : tensor<256xi8>
// CHECK: tosa.table %[[P]], %[[T]]
func.func @tanh_maxpool(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x1x1xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 0.0625>} : tensor<1x1x2x2xf32>
  %1 = qc.max_pool2d %0 {kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x1x2x2xf32> -> tensor<1x1x1x1xf32>
  %2 = qc.fake_quant %1 {qtype = !quant.uniform<i8:f32, 0.0625>} : tensor<1x1x1x1xf32>
  %3 = tosa.tanh %2 : (tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xf32>
  %4 = qc.fake_quant %3 {qtype = !quant.uniform<i8:f32, 0.0078125>} : tensor<1x1x1x1xf32>
  return %4 : tensor<1x1x1x1xf32>
}

// -----

// Add: both inputs go to a common int32 scale 2 * max(s_a, s_b) / 2^20, are
// added, then requantized to the output.
// CHECK-LABEL: func @add
// CHECK: %[[A:.*]] = qc.requantize %{{.*}} {axis = -1 : i64, input_zp = 3 : i32, max = 2147483647 : i32, min = -2147483648 : i32, output_zp = 0 : i32, scale = array<f64: 5.242880e+05>} : tensor<1x2xi8> -> tensor<1x2xi32>
// CHECK: %[[B:.*]] = qc.requantize %{{.*}} {axis = -1 : i64, input_zp = 3 : i32, max = 2147483647 : i32, min = -2147483648 : i32, output_zp = 0 : i32, scale = array<f64: 5.242880e+05>} : tensor<1x2xi8> -> tensor<1x2xi32>
// CHECK: %[[S:.*]] = tosa.add %[[A]], %[[B]] : (tensor<1x2xi32>, tensor<1x2xi32>) -> tensor<1x2xi32>
// CHECK: qc.requantize %[[S]] {axis = -1 : i64, input_zp = 0 : i32, max = 127 : i32, min = -128 : i32, output_zp = 0 : i32, scale = array<f64: 9.5367431640625E-7>}
func.func @add(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 0.5:3>} : tensor<1x2xf32>
  %1 = tosa.add %0, %0 : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x2xf32>
  %2 = qc.fake_quant %1 {qtype = !quant.uniform<i8:f32, 1.0>} : tensor<1x2xf32>
  return %2 : tensor<1x2xf32>
}

// -----

// uint8 activations are computed in int8 storage: zero point 0 -> -128,
// 128 -> 0; the requantize and dequantize use the int8 parameters.
// CHECK-LABEL: func @uint8
// CHECK: qc.quantize %arg0 {qtype = !quant.uniform<i8:f32, 5.000000e-01:-128>}
// CHECK: qc.requantize {{.*}}output_zp = 0 : i32
// CHECK: qc.dequantize {{.*}}{qtype = !quant.uniform<i8:f32, 2.500000e-01>}
func.func @uint8(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<u8:f32, 0.5>} : tensor<1x2xf32>
  %w = arith.constant dense<1.0> : tensor<2x2xf32>
  %wq = qc.fake_quant %w {qtype = !quant.uniform<i8<-127:127>:f32:0, {0.25, 0.25}>} : tensor<2x2xf32>
  %b = arith.constant dense<0.0> : tensor<2xf32>
  %bq = qc.fake_quant %b {qtype = !quant.uniform<i32:f32:0, {0.125, 0.125}>} : tensor<2xf32>
  %1 = qc.gemm %0, %wq, %bq : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %2 = qc.fake_quant %1 {qtype = !quant.uniform<u8:f32, 0.25:128>} : tensor<1x2xf32>
  return %2 : tensor<1x2xf32>
}
