// RUN: qc-opt %s -split-input-file --qc-annotate=stats=%S/Inputs/stats.json -verify-diagnostics | FileCheck %s

// Input [0, 1]: scale 1/255, zp -128. Weights per output channel with
// scale max|w| / 127; bias int32 at s_in * s_w. The conv feeds only a ReLU,
// so it is quantized after the ReLU ("relu": [0, 2.55] -> 0.01, -128).
// CHECK-LABEL: func @conv_relu
// CHECK: %[[X:.*]] = qc.fake_quant %arg0 {qtype = !quant.uniform<i8:f32, 0.0039215688593685627:-128>}
// CHECK: %[[W:.*]] = qc.fake_quant %{{.*}} {qtype = !quant.uniform<i8<-127:127>:f32:0, {0.0078740157186985015,0.015748031437397003}>}
// CHECK: %[[B:.*]] = qc.fake_quant %{{.*}} {qtype = !quant.uniform<i32:f32:0, {3.0878494840626616E-5,6.1756989681253233E-5}>}
// CHECK: %[[C:.*]] = qc.conv2d %[[X]], %[[W]], %[[B]]
// CHECK-NEXT: %[[R:.*]] = tosa.clamp %[[C]]
// CHECK-NEXT: %[[Q:.*]] = qc.fake_quant %[[R]] {qtype = !quant.uniform<i8:f32, 0.0099999997764825821:-128>}
// Max pool and flatten share their input's parameters.
// CHECK-NEXT: %[[P:.*]] = qc.max_pool2d %[[Q]]
// CHECK-NEXT: qc.fake_quant %[[P]] {qtype = !quant.uniform<i8:f32, 0.0099999997764825821:-128>}
// CHECK: tensor.collapse_shape
// CHECK-NEXT: qc.fake_quant %{{.*}} {qtype = !quant.uniform<i8:f32, 0.0099999997764825821:-128>}
// Tanh gets the fixed scale 1/128.
// CHECK: tosa.tanh
// CHECK-NEXT: qc.fake_quant %{{.*}} {qtype = !quant.uniform<i8:f32, 7.812500e-03>}
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

// -----

// "range" (chosen by calibration) wins over min / max: [-2, 3] -> scale 5/255.
// CHECK-LABEL: func @range_field
// CHECK: qc.gemm
// CHECK-NEXT: qc.fake_quant %{{.*}} {qtype = !quant.uniform<i8:f32, 0.019607843831181526:-26>}
func.func @range_field(%x: tensor<1x2xf32> loc("input")) -> tensor<1x2xf32> {
  %w = arith.constant dense<1.0> : tensor<2x2xf32>
  %b = arith.constant dense<0.0> : tensor<2xf32>
  %0 = qc.gemm %x, %w, %b : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32> loc("gemm")
  return %0 : tensor<1x2xf32>
}

// -----

// CHECK-LABEL: func @add
// CHECK: tosa.add
// CHECK-NEXT: qc.fake_quant %{{.*}} {qtype = !quant.uniform<i8:f32, 0.031372550874948502:-1>}
func.func @add(%x: tensor<1x2xf32> loc("input")) -> tensor<1x2xf32> {
  %0 = tosa.add %x, %x : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x2xf32> loc("add")
  return %0 : tensor<1x2xf32>
}
