func.func @add(%x: tensor<1x2xf32> loc("input")) -> tensor<1x2xf32> {
  %0 = tosa.add %x, %x : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x2xf32> loc("add")
  return %0 : tensor<1x2xf32>
}
