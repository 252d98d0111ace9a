// RUN: not qc-opt %s -split-input-file --qc-annotate=stats=%S/Inputs/stats.json 2>&1 | FileCheck %s
// Errors name the tensor (its ONNX name location) and the reason.

func.func @missing_stats(%x: tensor<1x2xf32> loc("input")) -> tensor<1x2xf32> {
  %w = arith.constant dense<1.0> : tensor<2x2xf32>
  %b = arith.constant dense<0.0> : tensor<2xf32>
  // CHECK: loc("nowhere"): {{.*}}no statistics for tensor 'nowhere'
  %0 = qc.gemm %x, %w, %b : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32> loc("nowhere")
  return %0 : tensor<1x2xf32>
}

// -----

func.func @inverted_stats(%x: tensor<1x2xf32> loc("input")) -> tensor<1x2xf32> {
  %w = arith.constant dense<1.0> : tensor<2x2xf32>
  %b = arith.constant dense<0.0> : tensor<2xf32>
  // CHECK: loc("inverted"): {{.*}}statistics for tensor 'inverted' are missing, not finite or inverted
  %0 = qc.gemm %x, %w, %b : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32> loc("inverted")
  return %0 : tensor<1x2xf32>
}

// -----

func.func @weights_not_constant(%x: tensor<1x2xf32> loc("input"), %w: tensor<2x2xf32> loc("input")) -> tensor<1x2xf32> {
  %b = arith.constant dense<0.0> : tensor<2xf32>
  // CHECK: error: {{.*}}weight and bias must be constant
  %0 = qc.gemm %x, %w, %b : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32> loc("gemm")
  return %0 : tensor<1x2xf32>
}

// -----

func.func @unsupported(%x: tensor<1x2xf32> loc("input")) -> tensor<1x2xf32> {
  // CHECK: loc("sub"): {{.*}}op 'tosa.sub' is not supported by quantization
  %0 = tosa.sub %x, %x : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x2xf32> loc("sub")
  return %0 : tensor<1x2xf32>
}

// -----

func.func @unfolded_bn(%x: tensor<1x2xf32> loc("input"), %p: tensor<2xf32> loc("input")) -> tensor<1x2xf32> {
  // A batch norm on the input is a float prologue; elsewhere it must fold.
  // CHECK: error: {{.*}}batch norm was not folded
  %c = tosa.clamp %x {min_val = 0.0 : f32, max_val = 6.0 : f32} : (tensor<1x2xf32>) -> tensor<1x2xf32> loc("relu")
  %0 = qc.batch_norm %c, %p, %p, %p, %p {epsilon = 1.0e-5 : f32} : (tensor<1x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2xf32> loc("bn")
  return %0 : tensor<1x2xf32>
}
