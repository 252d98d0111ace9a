func.func @identity(%x: tensor<4xi8>) -> (tensor<4xi8>, tensor<4xi8>) {
  %0 = qc.requantize %x {axis = -1 : i64, input_zp = 5 : i32, output_zp = 5 : i32, min = -128 : i32, max = 127 : i32, scale = array<f64: 1.0>} : tensor<4xi8> -> tensor<4xi8>
  %1 = tosa.clamp %0 {min_val = 5 : i8, max_val = 127 : i8} : (tensor<4xi8>) -> tensor<4xi8>
  return %1, %0 : tensor<4xi8>, tensor<4xi8>
}
