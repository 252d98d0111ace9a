// RUN: qc-opt %s -split-input-file --qc-vnni-kernels -verify-diagnostics

// Kernel declarations that convert-qc-to-linalg did not write (or that
// were edited) are refused with an error, never given a body that reads
// the wrong constants.

memref.global "private" constant @qc_dc_bias : memref<8xi32> = dense<0>
// expected-error @+1 {{malformed direct conv VNNI kernel declaration}}
func.func private @qc_dc_conv(memref<1x64xi8>, memref<8x32xi32>) attributes {qc.dc_bias = @qc_dc_bias, qc.dc_taps = array<i64: 0, 0>, qc.dc_weights = @missing}

// -----

// The weights hold 2 taps of 8 channels x 4 bytes, the taps list 3.
memref.global "private" constant @qc_dc_weights : memref<1x64xi8> = dense<0>
memref.global "private" constant @qc_dc_bias : memref<8xi32> = dense<0>
// expected-error @+1 {{malformed direct conv VNNI kernel declaration}}
func.func private @qc_dc_conv(memref<1x64xi8>, memref<8x32xi32>) attributes {qc.dc_bias = @qc_dc_bias, qc.dc_taps = array<i64: 0, 0, 0, 4, 0, 8>, qc.dc_weights = @qc_dc_weights}

// -----

memref.global "private" constant @qc_pw_weights : memref<2x8xi8> = dense<0>
// expected-error @+1 {{malformed pointwise VNNI kernel declaration}}
func.func private @qc_pw_conv(memref<6x36xi8>, memref<2x36xi32>) attributes {qc.pw_weights = @qc_pw_weights, qc.pw_bias = @missing}

// -----

memref.global "private" constant @qc_vnni_bias : memref<16xi32> = dense<0>
// expected-error @+1 {{malformed VNNI gemm kernel declaration}}
func.func private @qc_vnni_gemm(memref<4x8xi8>, memref<4x16xi32>) attributes {qc.vnni_weights = @missing, qc.vnni_bias = @qc_vnni_bias}
