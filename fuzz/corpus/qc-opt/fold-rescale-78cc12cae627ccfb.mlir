func.func @dyadic_and_clamp(%x: tensor<4xi32>) -> tensor<4xi8> {
  %0 = qc.requantize %x {axis = -1 : i64, input_zp = 0 : i32, output_zp = -128 : i32, min = -128 : i32, max = 127 : i32, scale = array<f64: 0.0072474273>} : tensor<4xi32> -> tensor<4xi8>
  %1 = tosa.clamp %0 {min_val = -128 : i8, max_val = -104 : i8} : (tensor<4xi8>) -> tensor<4xi8>
  return %1 : tensor<4xi8>
}
