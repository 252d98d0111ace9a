// RUN: qc-opt %s --qc-memref-copy-to-linalg | FileCheck %s

// CHECK-LABEL: func @copy
// CHECK-NOT: memref.copy
// CHECK: linalg.copy ins(%arg0 : memref<2x2xi8>) outs(%{{.*}} : memref<2x2xi8, strided<[4, 1], offset: 5>>)
func.func @copy(%a: memref<2x2xi8>, %b: memref<4x4xi8>) {
  %s = memref.subview %b[1, 1] [2, 2] [1, 1] : memref<4x4xi8> to memref<2x2xi8, strided<[4, 1], offset: 5>>
  memref.copy %a, %s : memref<2x2xi8> to memref<2x2xi8, strided<[4, 1], offset: 5>>
  return
}
