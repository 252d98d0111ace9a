func.func @g(%x: tensor<1x2xi32> loc("input")) -> tensor<1x2xf32> {
  %0 = qc.requantize %x {axis = 1 : i64, input_zp = 0 : i32, output_zp = -3 : i32, min = -128 : i32, max = 127 : i32, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 31, 32>} : tensor<1x2xi32> -> tensor<1x2xi8>
  %1 = qc.dequantize %0 {qtype = !quant.uniform<i8:f32, 0.25:-3>} : tensor<1x2xi8> -> tensor<1x2xf32>
  return %1 : tensor<1x2xf32>
}
