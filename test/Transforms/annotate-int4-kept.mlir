// RUN: qc-opt %s --qc-annotate="stats=%S/Inputs/stats.json weight-bits=4" | FileCheck %s
// RUN: qc-opt %s --qc-annotate="stats=%S/Inputs/stats.json weight-bits=4" 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: not qc-opt %s --qc-annotate="stats=%S/Inputs/stats.json layer-bits=relu=4" 2>&1 | FileCheck %s --check-prefix=CANNOT

// Depthwise convolutions and layers with fewer weights per channel than a
// group keep int8, with a remark; asked for explicitly, 4 bits is an error.
// REMARK: remark: loc("relu"): weights kept at 8 bits: grouped / depthwise convolution (one group per channel)
// REMARK: remark: loc("gemm"): weights kept at 8 bits: 8 weights per output channel, fewer than the group size 32
// CHECK-LABEL: func @kept
// CHECK: qc.fake_quant %{{.*}} {qtype = !quant.uniform<i8<-127:127>:f32:0
// CHECK: qc.fake_quant %{{.*}} {qtype = !quant.uniform<i8<-127:127>:f32:0
// CANNOT: error: loc("relu"): layer 'relu' cannot take 4-bit weights: grouped / depthwise convolution (one group per channel)
func.func @kept(%x: tensor<1x2x4x4xf32> loc("input")) -> tensor<1x2xf32> {
  %w = arith.constant dense<0.5> : tensor<2x1x3x3xf32>
  %b = arith.constant dense<0.0> : tensor<2xf32>
  %0 = qc.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x1x3x3xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32> loc("relu")
  %1 = tensor.collapse_shape %0 [[0], [1, 2, 3]] : tensor<1x2x2x2xf32> into tensor<1x8xf32> loc("relu")
  %w2 = arith.constant dense<0.25> : tensor<2x8xf32>
  %2 = qc.gemm %1, %w2, %b : (tensor<1x8xf32>, tensor<2x8xf32>, tensor<2xf32>) -> tensor<1x2xf32> loc("gemm")
  return %2 : tensor<1x2xf32>
}
