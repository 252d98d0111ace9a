// RUN: qc-opt %s -split-input-file --qc-fake-to-real | FileCheck %s

// Blocks of 2 input channels. Input scale 1: weights {1, -1 | 0.5, 0.25} at
// scales {0.5 | 0.25} are {2, -2 | 2, 1}; {2, 3 | -4, 5} at {1 | 1} stay.
// Group accumulators are rescaled to the bias scales {0.125, 0.25}:
// ratios {4, 4} and {2, 4}. The bias {1, -1} is {8, -4} at those scales;
// the output requantize is {0.125, 0.25} / 0.5.
// CHECK-LABEL: func @groups
// CHECK: %[[Q:.*]] = qc.quantize %arg0
// CHECK: %[[X0:.*]] = tensor.extract_slice %[[Q]][0, 0] [1, 2] [1, 1] : tensor<1x4xi8> to tensor<1x2xi8>
// CHECK: %[[W0:.*]] = arith.constant {qc.bits = 4 : i64} dense<{{\[\[}}2, -2], [2, 3]]> : tensor<2x2xi8>
// CHECK: %[[A0:.*]] = qc.gemm %[[X0]], %[[W0]], %[[Z:.*]] {input_zp = 0 : i32, weight_zp = 0 : i32}
// CHECK: %[[R0:.*]] = qc.requantize %[[A0]] {axis = 1 : i64, input_zp = 0 : i32, max = 2147483647 : i32, min = -2147483648 : i32, output_zp = 0 : i32, scale = array<f64: 4.000000e+00, 4.000000e+00>} : tensor<1x2xi32> -> tensor<1x2xi32>
// CHECK: %[[X1:.*]] = tensor.extract_slice %[[Q]][0, 2] [1, 2] [1, 1]
// CHECK: %[[W1:.*]] = arith.constant {qc.bits = 4 : i64} dense<{{\[\[}}2, 1], [-4, 5]]> : tensor<2x2xi8>
// CHECK: %[[A1:.*]] = qc.gemm %[[X1]], %[[W1]], %[[Z]]
// CHECK: %[[R1:.*]] = qc.requantize %[[A1]] {{{.*}}scale = array<f64: 2.000000e+00, 4.000000e+00>}
// CHECK: %[[S:.*]] = tosa.add %[[R0]], %[[R1]]
// CHECK: %[[B:.*]] = arith.constant dense<{{\[\[}}8, -4]]> : tensor<1x2xi32>
// CHECK: %[[SB:.*]] = tosa.add %[[S]], %[[B]]
// CHECK: qc.requantize %[[SB]] {{{.*}}scale = array<f64: 2.500000e-01, 5.000000e-01>} : tensor<1x2xi32> -> tensor<1x2xi8>
func.func @groups(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 1.0>} : tensor<1x4xf32>
  %w = arith.constant dense<[[1.0, -1.0, 0.5, 0.25], [2.0, 3.0, -4.0, 5.0]]> : tensor<2x4xf32>
  %wq = qc.fake_quant %w {qtype = !quant.uniform<i4<-7:7>:f32:{0:1, 1:2}, {{0.5, 0.25}, {1.0, 1.0}}>} : tensor<2x4xf32>
  %b = arith.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %bq = qc.fake_quant %b {qtype = !quant.uniform<i32:f32:0, {0.125, 0.25}>} : tensor<2xf32>
  %1 = qc.gemm %0, %wq, %bq : (tensor<1x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %2 = qc.fake_quant %1 {qtype = !quant.uniform<i8:f32, 0.5>} : tensor<1x2xf32>
  return %2 : tensor<1x2xf32>
}
