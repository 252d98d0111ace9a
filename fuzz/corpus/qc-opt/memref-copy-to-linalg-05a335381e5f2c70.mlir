func.func @copy(%a: memref<2x2xi8>, %b: memref<4x4xi8>) {
  %s = memref.subview %b[1, 1] [2, 2] [1, 1] : memref<4x4xi8> to memref<2x2xi8, strided<[4, 1], offset: 5>>
  memref.copy %a, %s : memref<2x2xi8> to memref<2x2xi8, strided<[4, 1], offset: 5>>
  return
}
