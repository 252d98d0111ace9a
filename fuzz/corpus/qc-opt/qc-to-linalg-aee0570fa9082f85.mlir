func.func @quantize_dequantize(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qc.quantize %x {qtype = !quant.uniform<i8:f32, 0.5:-1>} : tensor<4xf32> -> tensor<4xi8>
  %1 = qc.dequantize %0 {qtype = !quant.uniform<i8:f32, 0.5:-1>} : tensor<4xi8> -> tensor<4xf32>
  return %1 : tensor<4xf32>
}
