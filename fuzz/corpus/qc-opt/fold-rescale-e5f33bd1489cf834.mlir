func.func @too_large(%x: tensor<4xi32>) -> tensor<4xi32> {
  %0 = qc.requantize %x {axis = -1 : i64, input_zp = 0 : i32, output_zp = 0 : i32, min = -2147483648 : i32, max = 2147483647 : i32, scale = array<f64: 1073741824.0>} : tensor<4xi32> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}
