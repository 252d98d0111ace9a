// RUN: qc-opt %s --qc-annotate="stats=%S/Inputs/stats.json exclude=gemm" | FileCheck %s --check-prefix=ANN
// RUN: qc-opt %s --qc-annotate="stats=%S/Inputs/stats.json exclude=gemm" --qc-fake-to-real | FileCheck %s --check-prefix=F2R
// RUN: qc-opt %s --qc-annotate="stats=%S/Inputs/stats.json exclude=gemm" --qc-fake-to-real --qc-fold-rescale --qc-lower-to-llvm | FileCheck %s --check-prefix=LLVM

// The excluded gemm keeps float weights (no fake quant on them), is marked
// qc.float, nothing fuses into it, and its output is quantized for the
// quantized ReLU that consumes it.
// ANN: %[[X:.*]] = qc.fake_quant %arg0
// ANN-NOT: qc.fake_quant %cst
// ANN: %[[G:.*]] = qc.gemm %[[X]], %cst, %cst_0 {qc.float}
// ANN-NEXT: %[[Q:.*]] = qc.fake_quant %[[G]] {qtype = !quant.uniform<i8:f32, 0.019607843831181526:-26>}
// ANN-NEXT: tosa.clamp %[[Q]]

// Fake-to-real puts a dequantize / quantize boundary around it.
// F2R: %[[XI:.*]] = qc.quantize %arg0
// F2R: %[[XF:.*]] = qc.dequantize %[[XI]]
// F2R: %[[G:.*]] = qc.gemm %[[XF]], %{{.*}}, %{{.*}} {qc.float} : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
// F2R: %[[GI:.*]] = qc.quantize %[[G]] {{.*}} -> tensor<1x2xi8>
// F2R: tosa.clamp %[[GI]] {max_val = 127 : i8, min_val = -26 : i8}
// F2R: qc.dequantize

// LLVM: llvm.func @_mlir_ciface_policy
func.func @policy(%x: tensor<1x2xf32> loc("input")) -> tensor<1x2xf32> attributes {llvm.emit_c_interface} {
  %w = arith.constant dense<[[1.0, -0.5], [0.0, 2.0]]> : tensor<2x2xf32>
  %b = arith.constant dense<0.0> : tensor<2xf32>
  %0 = qc.gemm %x, %w, %b : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32> loc("gemm")
  %1 = tosa.clamp %0 {max_val = 3.4e38 : f32, min_val = 0.0 : f32} : (tensor<1x2xf32>) -> tensor<1x2xf32> loc("relu")
  return %1 : tensor<1x2xf32>
}
