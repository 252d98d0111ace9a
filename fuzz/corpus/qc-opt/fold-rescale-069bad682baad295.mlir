func.func @not_identity(%x: tensor<4xi8>) -> (tensor<4xi8>, tensor<4xi8>) {
  %0 = qc.requantize %x {axis = -1 : i64, input_zp = 5 : i32, output_zp = 4 : i32, min = -128 : i32, max = 127 : i32, scale = array<f64: 1.0>} : tensor<4xi8> -> tensor<4xi8>
  %1 = qc.requantize %x {axis = -1 : i64, input_zp = 5 : i32, output_zp = 5 : i32, min = -128 : i32, max = 100 : i32, scale = array<f64: 1.0>} : tensor<4xi8> -> tensor<4xi8>
  return %0, %1 : tensor<4xi8>, tensor<4xi8>
}
