func.func @f(%x: tensor<1x2xf32> loc("input")) -> tensor<1x2xf32> {
  return %x : tensor<1x2xf32>
}
