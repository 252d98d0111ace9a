func.func @rq_shift(%x: tensor<4xi32>) -> tensor<4xi8> {
  %0 = qc.requantize %x {axis = -1 : i64, input_zp = 0 : i32, output_zp = 0 : i32, min = -128 : i32, max = 127 : i32, scale = array<f64: 0.5>, multiplier = array<i32: 1073741824>, shift = array<i32: 70>} : tensor<4xi32> -> tensor<4xi8>
  return %0 : tensor<4xi8>
}
