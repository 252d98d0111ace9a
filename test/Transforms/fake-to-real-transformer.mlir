// RUN: qc-opt %s -split-input-file --qc-fake-to-real | FileCheck %s

// Softmax on a 16-bit input at S = 2^-6: the i-exp constants of
// integer-spec.md 9.3 (x0 = -45, b_int = 173, c_int = 11436). i-exp peaks at
// c_int << 30 < 2^44, so 13 low bits go before the dyadic S_exp / S16 =
// 0.35815147 * 32767 / 2^42 = 1538201907 / 2^59 (1538201907 / 2^46 after
// them). Output at 1/256 with zero point -128.
// CHECK-LABEL: func @softmax
// CHECK: %[[Q:.*]] = qc.quantize %arg0 {qtype = !quant.uniform<i8:f32, 1.562500e-02>} : tensor<2x4xf32> -> tensor<2x4xi8>
// CHECK: %[[W:.*]] = qc.requantize %[[Q]] {{{.*}}max = 2147483647 : i32, min = -2147483648 : i32, output_zp = 0 : i32, scale = array<f64: 1.000000e+00>} : tensor<2x4xi8> -> tensor<2x4xi32>
// CHECK: %[[S:.*]] = qc.isoftmax %[[W]] {b_int = 173 : i64, c_int = 11436 : i64, multiplier = 1538201907 : i64, output_zp = -128 : i32, pre_shift = 13 : i64, shift = 46 : i64, x0 = -45 : i64} : tensor<2x4xi32> -> tensor<2x4xi8>
// CHECK: qc.dequantize %[[S]] {qtype = !quant.uniform<i8:f32, 3.906250e-03:-128>}
func.func @softmax(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 0.015625>} : tensor<2x4xf32>
  %1 = qc.softmax %0 : tensor<2x4xf32>
  %2 = qc.fake_quant %1 {qtype = !quant.uniform<i8:f32, 0.00390625:-128>} : tensor<2x4xf32>
  return %2 : tensor<2x4xf32>
}

// -----

// GELU on a 16-bit gemm output at S = 2^-10: the constants of
// integer-spec.md 9.2 (b_int = -2562, c_int = -7261467, one = -444); the
// product has scale -S_out = 1.1017057e-6, requantized by it / 0.03.
// CHECK-LABEL: func @gelu
// CHECK: %[[ACC:.*]] = qc.gemm
// CHECK: %[[R:.*]] = qc.requantize %[[ACC]] {axis = 1 : i64, input_zp = 0 : i32, max = 32767 : i32, min = -32768 : i32, output_zp = 0 : i32, scale = array<f64: 5.120000e+02, 5.120000e+02>} : tensor<1x2xi32> -> tensor<1x2xi32>
// CHECK: %[[G:.*]] = qc.igelu %[[R]] {b_int = -2562 : i64, c_int = -7261467 : i64, one = -444 : i64} : tensor<1x2xi32>
// CHECK: qc.requantize %[[G]] {axis = -1 : i64, input_zp = 0 : i32, max = 127 : i32, min = -128 : i32, output_zp = -10 : i32, scale = array<f64: 3.672352353132402E-5>} : tensor<1x2xi32> -> tensor<1x2xi8>
func.func @gelu(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 0.5>} : tensor<1x2xf32>
  %w = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %wq = qc.fake_quant %w {qtype = !quant.uniform<i8<-127:127>:f32, 1.0>} : tensor<2x2xf32>
  %b = arith.constant dense<[0.0, 0.0]> : tensor<2xf32>
  %bq = qc.fake_quant %b {qtype = !quant.uniform<i32:f32:0, {0.5, 0.5}>} : tensor<2xf32>
  %1 = qc.gemm %0, %wq, %bq : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %2 = qc.fake_quant %1 {qtype = !quant.uniform<i16:f32, 0.0009765625>} : tensor<1x2xf32>
  %3 = qc.gelu %2 : tensor<1x2xf32>
  %4 = qc.fake_quant %3 {qtype = !quant.uniform<i8:f32, 0.03:-10>} : tensor<1x2xf32>
  return %4 : tensor<1x2xf32>
}

// -----

// GELU on an 8-bit input (--nonlinear=lut): a 256-entry table.
// CHECK-LABEL: func @gelu_table
// CHECK: %[[T:.*]] = arith.constant dense<{{.*}}> : tensor<256xi8>
// CHECK: tosa.table %{{.*}}, %[[T]] : (tensor<4xi8>, tensor<256xi8>) -> tensor<4xi8>
func.func @gelu_table(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 0.05>} : tensor<4xf32>
  %1 = qc.gelu %0 {approximate = "tanh"} : tensor<4xf32>
  %2 = qc.fake_quant %1 {qtype = !quant.uniform<i8:f32, 0.05:-100>} : tensor<4xf32>
  return %2 : tensor<4xf32>
}

// -----

// LayerNorm on a 16-bit input at S = 2^-8, rows of 4: |d| <= 65536, and
// 4 * (65536 >> 1)^2 = 2^32, so shift 2; eps = round(4 * 1e-3 /
// (2^-16 * 16)) = 16. sqrt(4) / 2^30 * gamma / S_out with gamma up to 2,
// S_out = 1/16: top = 2^-24, so k = 38 and gamma_int = {2^14, -2^13, 0,
// 2^13}, beta_int = bias * 16 * 2^38 = {2^41, 0, -2^40, 0}.
// CHECK-LABEL: func @layer_norm
// CHECK: qc.ilayernorm %{{.*}} {beta = array<i64: 2199023255552, 0, -1099511627776, 0>, eps = 16 : i64, gamma = array<i64: 16384, -8192, 0, 8192>, k = 38 : i64, output_zp = 3 : i32, shift = 2 : i64} : tensor<1x3x4xi32> -> tensor<1x3x4xi8>
func.func @layer_norm(%x: tensor<1x3x4xf32>) -> tensor<1x3x4xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 0.5>} : tensor<1x3x4xf32>
  %c = arith.constant dense<1.0> : tensor<1x1x4xf32>
  %1 = tosa.add %0, %c : (tensor<1x3x4xf32>, tensor<1x1x4xf32>) -> tensor<1x3x4xf32>
  %2 = qc.fake_quant %1 {qtype = !quant.uniform<i16:f32, 0.00390625>} : tensor<1x3x4xf32>
  %g = arith.constant dense<[2.0, -1.0, 0.0, 1.0]> : tensor<4xf32>
  %b = arith.constant dense<[0.5, 0.0, -0.25, 0.0]> : tensor<4xf32>
  %3 = qc.layer_norm %2, %g, %b {epsilon = 1.0e-3 : f32} : (tensor<1x3x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x3x4xf32>
  %4 = qc.fake_quant %3 {qtype = !quant.uniform<i8:f32, 0.0625:3>} : tensor<1x3x4xf32>
  return %4 : tensor<1x3x4xf32>
}

// -----

// Attention scores: i8 x i8 -> i32 with both zero points, the fused 1/4
// folded into the requantize (0.5 * 0.25 * 0.25 / 2^-6 = 2).
// CHECK-LABEL: func @scores
// CHECK-DAG: %[[AZ:.*]] = arith.constant dense<3> : tensor<1xi8>
// CHECK-DAG: %[[BZ:.*]] = arith.constant dense<-7> : tensor<1xi8>
// CHECK: %[[M:.*]] = tosa.matmul %{{.*}}, %{{.*}}, %[[AZ]], %[[BZ]] : (tensor<2x3x4xi8>, tensor<2x4x3xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<2x3x3xi32>
// CHECK: qc.requantize %[[M]] {axis = -1 : i64, input_zp = 0 : i32, max = 32767 : i32, min = -32768 : i32, output_zp = 0 : i32, scale = array<f64: 2.000000e+00>}
// CHECK-NOT: tosa.mul
// CHECK: qc.isoftmax
func.func @scores(%a: tensor<2x3x4xf32>, %b: tensor<2x4x3xf32>) -> tensor<2x3x3xf32> {
  %0 = qc.fake_quant %a {qtype = !quant.uniform<i8:f32, 0.5:3>} : tensor<2x3x4xf32>
  %1 = qc.fake_quant %b {qtype = !quant.uniform<i8:f32, 0.25:-7>} : tensor<2x4x3xf32>
  %z = arith.constant dense<0.0> : tensor<1xf32>
  %s = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %c = arith.constant dense<0.25> : tensor<1x1x1xf32>
  %2 = tosa.matmul %0, %1, %z, %z : (tensor<2x3x4xf32>, tensor<2x4x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x3x3xf32>
  %3 = tosa.mul %2, %c, %s : (tensor<2x3x3xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<2x3x3xf32>
  %4 = qc.fake_quant %3 {qtype = !quant.uniform<i16:f32, 0.015625>} : tensor<2x3x3xf32>
  %5 = qc.softmax %4 : tensor<2x3x3xf32>
  %6 = qc.fake_quant %5 {qtype = !quant.uniform<i8:f32, 0.00390625:-128>} : tensor<2x3x3xf32>
  return %6 : tensor<2x3x3xf32>
}
