func.func @requantize(%x: tensor<1x2xi32>) -> tensor<1x2xi8> {
  %0 = qc.requantize %x {axis = 1 : i64, input_zp = 0 : i32, output_zp = 7 : i32, min = -128 : i32, max = 127 : i32, scale = array<f64: 0.5, 1.5>, multiplier = array<i32: 1073741824, 1610612736>, shift = array<i32: 31, 30>} : tensor<1x2xi32> -> tensor<1x2xi8>
  return %0 : tensor<1x2xi8>
}
