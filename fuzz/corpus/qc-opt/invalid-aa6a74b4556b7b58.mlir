func.func @quantize_storage(%x: tensor<4xf32>) -> tensor<4xi32> {
  %0 = qc.quantize %x {qtype = !quant.uniform<i8:f32, 0.1>} : tensor<4xf32> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}
