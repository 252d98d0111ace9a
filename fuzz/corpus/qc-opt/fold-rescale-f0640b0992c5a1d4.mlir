func.func @per_channel(%x: tensor<1x3xi32>) -> tensor<1x3xi8> {
  %0 = qc.requantize %x {axis = 1 : i64, input_zp = 0 : i32, output_zp = 0 : i32, min = -128 : i32, max = 127 : i32, scale = array<f64: 1.0, 0.5, 1.5>} : tensor<1x3xi32> -> tensor<1x3xi8>
  return %0 : tensor<1x3xi8>
}
