// RUN: qc-opt %s -split-input-file --qc-inline-alloca-scopes | FileCheck %s

// No alloca inside: the scope goes, even around an op with unknown effects.
// CHECK-LABEL: func @no_alloca
// CHECK-NOT: memref.alloca_scope
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: memref.store
func.func @no_alloca(%m: memref<16xi32>, %a: vector<16xi32>, %b: vector<64xi8>) {
  %c0 = arith.constant 0 : index
  %x = arith.constant 1 : i32
  memref.alloca_scope {
    %d = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%a, %b, %b) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
    memref.store %x, %m[%c0] : memref<16xi32>
  }
  return
}

// -----

// An alloca inside: the scope bounds its lifetime and stays.
// CHECK-LABEL: func @with_alloca
// CHECK: memref.alloca_scope
// CHECK: memref.alloca
func.func @with_alloca(%m: memref<16xi32>) {
  %c0 = arith.constant 0 : index
  memref.alloca_scope {
    %t = memref.alloca() : memref<4xi32>
    %v = memref.load %t[%c0] : memref<4xi32>
    memref.store %v, %m[%c0] : memref<16xi32>
  }
  return
}
