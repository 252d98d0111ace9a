// RUN: qc-opt %s -split-input-file --qc-fake-to-real -verify-diagnostics

func.func @unquantized_input(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<1.0> : tensor<2x2xf32>
  %b = arith.constant dense<0.0> : tensor<2xf32>
  // expected-error @+1 {{is not quantized (run --qc-annotate)}}
  %0 = qc.gemm %x, %w, %b : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  return %0 : tensor<1x2xf32>
}

// -----

func.func @unquantized_weight(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 0.5>} : tensor<1x2xf32>
  %w = arith.constant dense<1.0> : tensor<2x2xf32>
  %b = arith.constant dense<0.0> : tensor<2xf32>
  // expected-error @+1 {{weight and bias are not quantized}}
  %1 = qc.gemm %0, %w, %b : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %2 = qc.fake_quant %1 {qtype = !quant.uniform<i8:f32, 0.5>} : tensor<1x2xf32>
  return %2 : tensor<1x2xf32>
}

// -----

func.func @unquantized_output(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x1x1xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 0.5>} : tensor<1x1x2x2xf32>
  // expected-error @+1 {{output of this op is not quantized}}
  %1 = qc.max_pool2d %0 {kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x1x2x2xf32> -> tensor<1x1x1x1xf32>
  return %1 : tensor<1x1x1x1xf32>
}

// -----

func.func @unsupported(%x: tensor<1x2xf32>, %s: tensor<1xi8>) -> tensor<1x2xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 0.5>} : tensor<1x2xf32>
  // expected-error @+1 {{only a multiply by a positive constant converts to integer arithmetic}}
  %1 = tosa.mul %0, %0, %s : (tensor<1x2xf32>, tensor<1x2xf32>, tensor<1xi8>) -> tensor<1x2xf32>
  %2 = qc.fake_quant %1 {qtype = !quant.uniform<i8:f32, 0.5>} : tensor<1x2xf32>
  return %2 : tensor<1x2xf32>
}

// -----

func.func @avgpool_padding(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 0.5>} : tensor<1x1x2x2xf32>
  // expected-error @+1 {{integer average pooling with padding and count_include_pad = 0 is not supported}}
  %1 = qc.avg_pool2d %0 {count_include_pad = false, kernel = array<i64: 2, 2>, pads = array<i64: 1, 1, 0, 0>, strides = array<i64: 1, 1>} : tensor<1x1x2x2xf32> -> tensor<1x1x2x2xf32>
  %2 = qc.fake_quant %1 {qtype = !quant.uniform<i8:f32, 0.5>} : tensor<1x1x2x2xf32>
  return %2 : tensor<1x1x2x2xf32>
}

// -----

func.func @float_result(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  // expected-error @+1 {{result 0 is not quantized}}
  return %x : tensor<1x2xf32>
}

// -----

// K = 70000 weights of 127 against inputs up to |x - zp| = 255: the worst
// case 70000 * 127 * 255 exceeds int32.
func.func @accumulator_overflow(%x: tensor<1x70000xf32>) -> tensor<1x1xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 0.5:127>} : tensor<1x70000xf32>
  %w = arith.constant dense<1.0> : tensor<1x70000xf32>
  %wq = qc.fake_quant %w {qtype = !quant.uniform<i8<-127:127>:f32:0, {0.007874015748031496}>} : tensor<1x70000xf32>
  %b = arith.constant dense<0.0> : tensor<1xf32>
  %bq = qc.fake_quant %b {qtype = !quant.uniform<i32:f32:0, {0.003937007874015748}>} : tensor<1xf32>
  // expected-error @+1 {{int32 accumulator may overflow in output channel 0: worst case |acc| = 2266950000 > 2^31 - 1 (K = 70000, sum |w| = 8890000, max |x - zp| = 255)}}
  %1 = qc.gemm %0, %wq, %bq : (tensor<1x70000xf32>, tensor<1x70000xf32>, tensor<1xf32>) -> tensor<1x1xf32>
  %2 = qc.fake_quant %1 {qtype = !quant.uniform<i8:f32, 0.5>} : tensor<1x1xf32>
  return %2 : tensor<1x1xf32>
}

// -----

// A bias that saturates int32 leaves no room for the groups: refused.
func.func @overflow(%x: tensor<1x4xf32>) -> tensor<1x1xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 1.0>} : tensor<1x4xf32>
  %w = arith.constant dense<1.0> : tensor<1x4xf32>
  %wq = qc.fake_quant %w {qtype = !quant.uniform<i4<-7:7>:f32:{0:1, 1:2}, {{0.5, 0.5}}>} : tensor<1x4xf32>
  %b = arith.constant dense<1.0e9> : tensor<1xf32>
  %bq = qc.fake_quant %b {qtype = !quant.uniform<i32:f32:0, {0.125}>} : tensor<1xf32>
  // expected-warning @+2 {{bias of channel 0 saturates int32 at scale 1.250000e-01}}
  // expected-error @+1 {{int32 accumulator may overflow in output channel 0: worst case |sum of rescaled groups + bias|}}
  %1 = qc.gemm %0, %wq, %bq : (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1xf32>) -> tensor<1x1xf32>
  %2 = qc.fake_quant %1 {qtype = !quant.uniform<i8:f32, 0.5>} : tensor<1x1xf32>
  return %2 : tensor<1x1xf32>
}

// -----

// i-exp needs S >= 2^-15 (annotate keeps softmax inputs there).
func.func @softmax_scale_too_small(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i16:f32, 1.0e-6>} : tensor<4xf32>
  // expected-error @+1 {{input scale 1.000000e-06 is too small for i-exp (needs >= 2^-15)}}
  %1 = qc.softmax %0 : tensor<4xf32>
  %2 = qc.fake_quant %1 {qtype = !quant.uniform<i8:f32, 0.00390625:-128>} : tensor<4xf32>
  return %2 : tensor<4xf32>
}

// -----

func.func @softmax_output_scale(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i8:f32, 0.1>} : tensor<4xf32>
  // expected-error @+1 {{integer softmax writes scale 1/256 (8 bits) without a clamp after it}}
  %1 = qc.softmax %0 : tensor<4xf32>
  %2 = qc.fake_quant %1 {qtype = !quant.uniform<i8:f32, 0.01:-128>} : tensor<4xf32>
  return %2 : tensor<4xf32>
}

// -----

// A tiny GELU input scale makes q * (erf + one) overflow int32.
func.func @igelu_overflow(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qc.fake_quant %x {qtype = !quant.uniform<i16:f32, 1.0e-5>} : tensor<4xf32>
  // expected-error @+1 {{i-GELU product may overflow int32}}
  %1 = qc.gelu %0 : tensor<4xf32>
  %2 = qc.fake_quant %1 {qtype = !quant.uniform<i8:f32, 0.01>} : tensor<4xf32>
  return %2 : tensor<4xf32>
}

// -----

func.func @matmul_wide_operand(%a: tensor<1x2x2xf32>, %b: tensor<1x2x2xf32>) -> tensor<1x2x2xf32> {
  %0 = qc.fake_quant %a {qtype = !quant.uniform<i16:f32, 0.001>} : tensor<1x2x2xf32>
  %1 = qc.fake_quant %b {qtype = !quant.uniform<i8:f32, 0.1>} : tensor<1x2x2xf32>
  %z = arith.constant dense<0.0> : tensor<1xf32>
  // expected-error @+1 {{matmul operands must be 8-bit}}
  %2 = tosa.matmul %0, %1, %z, %z : (tensor<1x2x2xf32>, tensor<1x2x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2xf32>
  %3 = qc.fake_quant %2 {qtype = !quant.uniform<i8:f32, 0.1>} : tensor<1x2x2xf32>
  return %3 : tensor<1x2x2xf32>
}

// -----

func.func @negative_scalar_after_matmul(%a: tensor<1x2x2xf32>, %b: tensor<1x2x2xf32>) -> tensor<1x2x2xf32> {
  %0 = qc.fake_quant %a {qtype = !quant.uniform<i8:f32, 0.1>} : tensor<1x2x2xf32>
  %1 = qc.fake_quant %b {qtype = !quant.uniform<i8:f32, 0.1>} : tensor<1x2x2xf32>
  %z = arith.constant dense<0.0> : tensor<1xf32>
  %s = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %c = arith.constant dense<-0.5> : tensor<1x1x1xf32>
  // expected-error @+1 {{a multiply by -5.000000e-01 after this op cannot fold into its requantize (factor must be > 0)}}
  %2 = tosa.matmul %0, %1, %z, %z : (tensor<1x2x2xf32>, tensor<1x2x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2xf32>
  %3 = tosa.mul %2, %c, %s : (tensor<1x2x2xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<1x2x2xf32>
  %4 = qc.fake_quant %3 {qtype = !quant.uniform<i8:f32, 0.1>} : tensor<1x2x2xf32>
  return %4 : tensor<1x2x2xf32>
}
