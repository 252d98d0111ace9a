// RUN: qc-opt %s -split-input-file --qc-annotate=stats=%S/Inputs/transformer-stats.json | FileCheck %s
// RUN: qc-opt %s -split-input-file --qc-annotate="stats=%S/Inputs/transformer-stats.json nonlinear=lut" | FileCheck %s --check-prefix=LUT
// RUN: qc-opt %s -split-input-file --qc-annotate="stats=%S/Inputs/transformer-stats.json nonlinear=float" | FileCheck %s --check-prefix=FLOAT

// "pos" feeds a LayerNorm and an add: 16 bits, symmetric, 3 / 32767. The
// LayerNorm output feeds the add, which feeds the return: 8 bits.
// CHECK-LABEL: func @residual
// CHECK: %[[P:.*]] = tosa.add
// CHECK-NEXT: %[[PQ:.*]] = qc.fake_quant %[[P]] {qtype = !quant.uniform<i16:f32, 9.1555528342723846E-5>}
// CHECK: %[[L:.*]] = qc.layer_norm %[[PQ]]
// CHECK-NEXT: qc.fake_quant %[[L]] {qtype = !quant.uniform<i8:f32, 0.031372550874948502:-1>}
// CHECK: %[[R:.*]] = tosa.add %[[PQ]]
// CHECK-NEXT: qc.fake_quant %[[R]] {qtype = !quant.uniform<i8:f32, 0.039215687662363052:-1>}
// FLOAT-LABEL: func @residual
// FLOAT: qc.fake_quant %{{.*}} {qtype = !quant.uniform<i8:f32, 0.019607843831181526:25>}
// FLOAT: qc.layer_norm {{.*}} {epsilon = {{.*}}, qc.float}
func.func @residual(%x: tensor<2x4xf32> loc("x")) -> tensor<2x4xf32> {
  %c = arith.constant dense<0.5> : tensor<1x4xf32>
  %g = arith.constant dense<1.0> : tensor<4xf32>
  %b = arith.constant dense<0.0> : tensor<4xf32>
  %p = tosa.add %x, %c : (tensor<2x4xf32>, tensor<1x4xf32>) -> tensor<2x4xf32> loc("pos")
  %l = qc.layer_norm %p, %g, %b {epsilon = 1.0e-5 : f32} : (tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4xf32> loc("ln")
  %r = tosa.add %p, %l : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32> loc("res")
  return %r : tensor<2x4xf32>
}

// -----

// The 1/4 after the matmul fuses: the matmul output is not quantized, the
// multiply's is, at 16 bits for the softmax and no finer than 2^-15
// (0.2 / 32767 would be smaller). The softmax output is fixed at 1/256.
// CHECK-LABEL: func @attention_scores
// CHECK: %[[M:.*]] = tosa.matmul
// CHECK-NEXT: %[[S:.*]] = tosa.mul %[[M]]
// CHECK-NEXT: %[[SQ:.*]] = qc.fake_quant %[[S]] {qtype = !quant.uniform<i16:f32, 3.0517578125E-5>}
// CHECK-NEXT: %[[P:.*]] = qc.softmax %[[SQ]]
// CHECK-NEXT: qc.fake_quant %[[P]] {qtype = !quant.uniform<i8:f32, 3.906250e-03:-128>}
func.func @attention_scores(%a: tensor<2x3x4xf32> loc("a"), %b: tensor<2x4x3xf32> loc("b")) -> tensor<2x3x3xf32> {
  %z = arith.constant dense<0.0> : tensor<1xf32>
  %s = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %c = arith.constant dense<0.25> : tensor<1x1x1xf32>
  %m = tosa.matmul %a, %b, %z, %z : (tensor<2x3x4xf32>, tensor<2x4x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x3x3xf32> loc("mm")
  %y = tosa.mul %m, %c, %s : (tensor<2x3x3xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<2x3x3xf32> loc("scores")
  %p = qc.softmax %y : tensor<2x3x3xf32> loc("sm")
  return %p : tensor<2x3x3xf32>
}

// -----

// GELU input: 16 bits with ibert (no finer than the cube-root bound that
// keeps the i-GELU product in int32), 8 bits with lut; float keeps it.
// CHECK-LABEL: func @gelu
// CHECK: qc.fake_quant %{{.*}} {qtype = !quant.uniform<i16:f32, 1.8311105668544769E-4>}
// CHECK: qc.gelu
// CHECK-NEXT: qc.fake_quant %{{.*}} {qtype = !quant.uniform<i8:f32, 0.024313725531101227:-120>}
// LUT-LABEL: func @gelu
// LUT: qc.fake_quant %{{.*}} {qtype = !quant.uniform<i8:f32, 0.047058824449777603:-1>}
// LUT-NEXT: qc.gelu
// FLOAT-LABEL: func @gelu
// FLOAT: qc.gelu %{{.*}} {qc.float}
func.func @gelu(%x: tensor<1x4xf32> loc("x")) -> tensor<1x4xf32> {
  %c = arith.constant dense<1.0> : tensor<1x4xf32>
  %f = tosa.add %x, %c : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32> loc("fc")
  %g = qc.gelu %f : tensor<1x4xf32> loc("gelu")
  return %g : tensor<1x4xf32>
}
