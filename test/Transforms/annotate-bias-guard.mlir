// RUN: qc-opt %s --qc-annotate=stats=%S/Inputs/stats.json 2>&1 | FileCheck %s

// s_in = 1/255, s_w = 1/127: channel 1's bias 2.5e6 must leave room for
// K * 127 * 255 in the accumulator, so s_w >= 2.5e6 * 255 / (2^31 - 1 -
// 2 * 127 * 255); the pass raises it and says so.
// CHECK: remark: loc("gemm"): weight scale of output channel 1 raised from 7.874016e-03 to 2.968680e-01 so that its bias fits the int32 accumulator
// CHECK: qc.fake_quant %{{.*}} {qtype = !quant.uniform<i8<-127:127>:f32:0, {0.0078740157186985015,0.29686802625656128}>}
func.func @bias_guard(%x: tensor<1x2xf32> loc("input")) -> tensor<1x2xf32> {
  %w = arith.constant dense<1.0> : tensor<2x2xf32>
  %b = arith.constant dense<[1.0, 2.5e6]> : tensor<2xf32>
  %0 = qc.gemm %x, %w, %b : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32> loc("gemm")
  return %0 : tensor<1x2xf32>
}
