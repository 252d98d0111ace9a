func.func @dequantize_storage(%x: tensor<4xi32>) -> tensor<4xf32> {
  %0 = qc.dequantize %x {qtype = !quant.uniform<i8:f32, 0.1>} : tensor<4xi32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
