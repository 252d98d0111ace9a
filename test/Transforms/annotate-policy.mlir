// RUN: qc-opt %s -split-input-file --qc-annotate="stats=%S/Inputs/stats.json weights=per-tensor" | FileCheck %s --check-prefix=TENSOR
// RUN: qc-opt %s -split-input-file --qc-annotate="stats=%S/Inputs/stats.json weight-bits=7" | FileCheck %s --check-prefix=SEVEN
// RUN: qc-opt %s -split-input-file --qc-annotate="stats=%S/Inputs/stats.json activations=symmetric" | FileCheck %s --check-prefix=SYM
// RUN: not qc-opt %s --qc-annotate="stats=%S/Inputs/stats.json weights=per-row" 2>&1 | FileCheck %s --check-prefix=BADW
// RUN: not qc-opt %s --qc-annotate="stats=%S/Inputs/stats.json weight-bits=5" 2>&1 | FileCheck %s --check-prefix=BADB
// RUN: not qc-opt %s --qc-annotate="stats=%S/Inputs/stats.json activations=signed" 2>&1 | FileCheck %s --check-prefix=BADA
// RUN: qc-opt %s -split-input-file --qc-annotate="stats=%S/Inputs/stats.json activation-type=uint8" | FileCheck %s --check-prefix=U8
// RUN: not qc-opt %s --qc-annotate="stats=%S/Inputs/stats.json activation-type=int16" 2>&1 | FileCheck %s --check-prefix=BADT

// Weights max |w| = 1 and 2 per channel.
// TENSOR: qc.fake_quant %{{.*}} {qtype = !quant.uniform<i8<-127:127>:f32, 0.015748031437397003>}
// TENSOR: qc.fake_quant %{{.*}} {qtype = !quant.uniform<i32:f32:0, {6.1756989681253233E-5,6.1756989681253233E-5}>}
// SEVEN: qc.fake_quant %{{.*}} {qtype = !quant.uniform<i8<-63:63>:f32:0, {0.01587301678955555,0.031746033579111099}>}
// Symmetric: input [0, 1] -> 1/127, zero point 0; gemm "range" [-2, 3] -> 3/127.
// SYM: qc.fake_quant %arg0 {qtype = !quant.uniform<i8:f32, 0.0078740157186985015>}
// SYM: qc.gemm
// SYM-NEXT: qc.fake_quant %{{.*}} {qtype = !quant.uniform<i8:f32, 0.023622047156095505>}
// BADW: error: weights must be per-channel or per-tensor, got 'per-row'
// BADB: error: weight-bits must be 8, 7 or 4, got 5
// BADA: error: activations must be asymmetric or symmetric, got 'signed'
// uint8: the same scales, zero points + 128 (input [0, 1]: -128 -> 0).
// U8: qc.fake_quant %arg0 {qtype = !quant.uniform<u8:f32, 0.0039215688593685627>}
// U8: qc.gemm
// U8-NEXT: qc.fake_quant %{{.*}} {qtype = !quant.uniform<u8:f32, 0.019607843831181526:102>}
// BADT: error: activation-type must be int8 or uint8, got 'int16'
func.func @policy(%x: tensor<1x2xf32> loc("input")) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, -0.5], [0.0, 2.0]]> : tensor<2x2xf32>
  %b = arith.constant dense<0.0> : tensor<2xf32>
  %0 = qc.gemm %x, %w, %b : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32> loc("gemm")
  return %0 : tensor<1x2xf32>
}

// -----

// A bias too large for int32 at s_in * s_w raises that channel's weight
// scale (input scale 1/255, weight scale 1/127: limit about 66 in float).
// TENSOR-LABEL: func @bias_guard
// TENSOR: qc.fake_quant %{{.*}} {qtype = !quant.uniform<i8<-127:127>:f32, 0.29686{{[0-9]*}}>}
func.func @bias_guard(%x: tensor<1x2xf32> loc("input")) -> tensor<1x2xf32> {
  %w = arith.constant dense<1.0> : tensor<2x2xf32>
  %b = arith.constant dense<[1.0, 2.5e6]> : tensor<2xf32>
  %0 = qc.gemm %x, %w, %b : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32> loc("gemm")
  return %0 : tensor<1x2xf32>
}
