// RUN: qc-opt %s --qc-annotate | FileCheck %s

// A model quantized in QDQ form: its fake quants are kept as given, no
// statistics needed; the float bias gets int32 at s_in * s_w = 0.5 * {0.25, 0.5}.
// CHECK-LABEL: func @given
// CHECK: %[[X:.*]] = qc.fake_quant %arg0 {qtype = !quant.uniform<i8:f32, 5.000000e-01:3>}
// CHECK-NOT: qc.fake_quant %arg0
// CHECK: %[[W:.*]] = qc.fake_quant %{{.*}} {qtype = !quant.uniform<i8:f32:0, {2.500000e-01,5.000000e-01}>}
// CHECK: %[[B:.*]] = qc.fake_quant %{{.*}} {qtype = !quant.uniform<i32:f32:0, {1.250000e-01,2.500000e-01}>}
// CHECK: %[[G:.*]] = qc.gemm %[[X]], %[[W]], %[[B]]
// CHECK-NEXT: qc.fake_quant %[[G]] {qtype = !quant.uniform<i8:f32, 2.500000e-01:-1>}
// CHECK-NOT: qc.fake_quant
func.func @given(%x: tensor<1x2xf32> loc("input")) -> tensor<1x2xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 0.5:3>} : tensor<1x2xf32>
  %w = arith.constant dense<[[0.25, -0.5], [1.5, 2.0]]> : tensor<2x2xf32>
  %wq = qc.fake_quant %w {qtype = !quant.uniform<i8:f32:0, {0.25, 0.5}>} : tensor<2x2xf32>
  %b = arith.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %1 = qc.gemm %0, %wq, %b : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32> loc("gemm")
  %2 = qc.fake_quant %1 {qtype = !quant.uniform<i8:f32, 0.25:-1>} : tensor<1x2xf32>
  return %2 : tensor<1x2xf32>
}
