// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg=vnni=true -verify-diagnostics

// The VNNI kernel folds a fused requantize's input zero point into the
// bias: 2147483600 - (-100) does not fit int32.
func.func @fused_zp_overflow(%x: tensor<8x4xi8>) -> tensor<8x16xi8> {
  %w = arith.constant dense<0> : tensor<16x4xi8>
  %b = arith.constant dense<2147483600> : tensor<16xi32>
  // expected-error @+1 {{bias of channel 0 overflows int32 with the input zero point}}
  %0 = qc.gemm %x, %w, %b {input_zp = 0 : i32, weight_zp = 0 : i32} : (tensor<8x4xi8>, tensor<16x4xi8>, tensor<16xi32>) -> tensor<8x16xi32>
  %1 = qc.requantize %0 {axis = -1 : i64, input_zp = -100 : i32, max = 127 : i32, min = -128 : i32, multiplier = array<i32: 1073741824>, output_zp = 0 : i32, shift = array<i32: 40>} : tensor<8x16xi32> -> tensor<8x16xi8>
  return %1 : tensor<8x16xi8>
}

// -----

// A uint8 input's shift folds into the bias too: -2147483000 - 128 * 8
// does not fit int32.
func.func @unsigned_shift_overflow(%x: tensor<8x8xi8>) -> tensor<8x1xi32> {
  %c = arith.constant dense<-128> : tensor<1x1xi8>
  %f = tosa.bitwise_xor %x, %c : (tensor<8x8xi8>, tensor<1x1xi8>) -> tensor<8x8xi8>
  %w = arith.constant dense<1> : tensor<1x8xi8>
  %b = arith.constant dense<-2147483000> : tensor<1xi32>
  // expected-error @+1 {{bias of channel 0 overflows int32 with the input zero point and the uint8 input's shift}}
  %0 = qc.gemm %f, %w, %b {input_zp = 0 : i32, weight_zp = 0 : i32} : (tensor<8x8xi8>, tensor<1x8xi8>, tensor<1xi32>) -> tensor<8x1xi32>
  return %0 : tensor<8x1xi32>
}
