func.func @unsupported(%x: tensor<1x2xf32> loc("input")) -> tensor<1x2xf32> {
  %0 = tosa.sub %x, %x : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x2xf32> loc("sub")
  return %0 : tensor<1x2xf32>
}
