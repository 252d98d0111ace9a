// RUN: qc-opt %s -split-input-file --qc-annotate="stats=%S/Inputs/stats.json weight-bits=4" | FileCheck %s
// RUN: qc-opt %s -split-input-file --qc-annotate="stats=%S/Inputs/stats.json weight-bits=4" 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: qc-opt %s -split-input-file --qc-annotate="stats=%S/Inputs/stats.json layer-bits=gemm=4 symmetric=gemm" 2>/dev/null | FileCheck %s --check-prefix=LAYER
// RUN: not qc-opt %s -split-input-file --qc-annotate="stats=%S/Inputs/stats.json layer-bits=nothing=4" 2>&1 | FileCheck %s --check-prefix=UNUSED
// RUN: not qc-opt %s -split-input-file --qc-annotate="stats=%S/Inputs/stats.json layer-bits=gemm=5" 2>&1 | FileCheck %s --check-prefix=BADENTRY
// RUN: not qc-opt %s -split-input-file --qc-annotate="stats=%S/Inputs/stats.json symmetric=nothing" 2>&1 | FileCheck %s --check-prefix=UNUSEDSYM
// RUN: not qc-opt %s -split-input-file --qc-annotate="stats=%S/Inputs/stats.json group-size=0" 2>&1 | FileCheck %s --check-prefix=BADG
// RUN: qc-opt %s -split-input-file --qc-annotate="stats=%S/Inputs/stats.json activations=symmetric asymmetric=gemm" 2>/dev/null | FileCheck %s --check-prefix=ASYM

// K = 64: two groups of 32 per output channel, max |w| = 1 and 2 in the
// groups of channel 0, 1 in channel 1. The bias scale is
// s_in * max_g s_w / 2^14 (r = 14: 64 * 7 * 255 * 2^15 > 2^31).
// CHECK-LABEL: func @groups
// CHECK: qc.fake_quant %{{.*}} {qtype = !quant.uniform<i4<-7:7>:f32:{0:1, 1:32}, {{[{][{]}}0.142857{{[0-9]*}}, 0.285714{{[0-9]*}}}, {0.142857{{[0-9]*}}, 0.142857{{[0-9]*}}{{[}][}]}}>} : tensor<2x64xf32>
// CHECK: qc.fake_quant %{{.*}} {qtype = !quant.uniform<i32:f32:0, {6.8{{[0-9]*}}E-8,3.4{{[0-9]*}}E-8}>} : tensor<2xf32>
// UNUSED: error: layer-bits names 'nothing', which is not the output of a quantized conv or gemm
// BADENTRY: error: layer-bits entry 'gemm=5' must be NAME=8, NAME=7 or NAME=4
// UNUSEDSYM: error: symmetric names 'nothing', which is not a quantized activation
// BADG: error: group-size must be at least 1
// LAYER-LABEL: func @groups
// LAYER: qc.fake_quant %{{.*}} {qtype = !quant.uniform<i4<-7:7>:f32:{0:1, 1:32}
// LAYER: qc.gemm
// LAYER-NEXT: qc.fake_quant %{{.*}} {qtype = !quant.uniform<i8:f32, 0.023622047156095505>}
func.func @groups(%x: tensor<1x64xf32> loc("input")) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]]> : tensor<2x64xf32>
  %bias = arith.constant dense<0.0> : tensor<2xf32>
  %0 = qc.gemm %x, %w, %bias : (tensor<1x64xf32>, tensor<2x64xf32>, tensor<2xf32>) -> tensor<1x2xf32> loc("gemm")
  return %0 : tensor<1x2xf32>
}

// -----

// 48 input channels are not a multiple of 32: groups of 24 (remark).
// REMARK: remark: loc("gemm"): 4-bit weight groups of 24 input channels: 48 is not a multiple of 32
// CHECK-LABEL: func @uneven
// CHECK: qc.fake_quant %{{.*}} {qtype = !quant.uniform<i4<-7:7>:f32:{0:1, 1:24}
// ASYM-LABEL: func @uneven
// ASYM: qc.fake_quant %arg0 {qtype = !quant.uniform<i8:f32, 0.0078740157186985015>}
// ASYM: qc.gemm
// ASYM-NEXT: qc.fake_quant %{{.*}} {qtype = !quant.uniform<i8:f32, 0.019607843831181526:-26>}
func.func @uneven(%x: tensor<1x48xf32> loc("input")) -> tensor<1x1xf32> {
  %w = arith.constant dense<0.5> : tensor<1x48xf32>
  %b = arith.constant dense<0.0> : tensor<1xf32>
  %0 = qc.gemm %x, %w, %b : (tensor<1x48xf32>, tensor<1x48xf32>, tensor<1xf32>) -> tensor<1x1xf32> loc("gemm")
  return %0 : tensor<1x1xf32>
}
