// RUN: qc-opt %s -split-input-file -verify-diagnostics --qc-claim-shares="chunks=4 min-work=100" | FileCheck %s

// Two dims, a dynamic upper bound: 12 x ceil(%n / 3) iterations in 4 chunks
// claimed from a counter on the stack, each point found again from its
// number (the last dim fastest).
// CHECK-LABEL: func @claimed
// CHECK: %[[CTR:.*]] = memref.alloca() : memref<i64>
// CHECK: memref.store %{{.*}}, %[[CTR]][] : memref<i64>
// CHECK: %[[T0:.*]] = arith.ceildivui %{{.*}}, %c4 : index
// CHECK: %[[T1:.*]] = arith.ceildivui %{{.*}}, %c3 : index
// CHECK: %[[TOTAL:.*]] = arith.muli %{{.*}}, %[[T1]] : index
// CHECK: %[[CHUNK:.*]] = arith.maxui
// CHECK: %[[N:.*]] = arith.ceildivui %[[TOTAL]], %[[CHUNK]] : index
// CHECK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%[[N]])
// CHECK:   scf.while
// CHECK:     memref.atomic_rmw addi %{{.*}}, %[[CTR]][] : (i64, memref<i64>) -> i64
// CHECK:     scf.condition
// CHECK:   do
// CHECK:     scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step
// CHECK:       arith.remui %[[J]], %[[T1]] : index
// CHECK:       arith.divui %[[J]], %[[T1]] : index
// CHECK:       memref.store
// CHECK-NOT: scf.parallel
func.func @claimed(%m: memref<64x64xi32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c50 = arith.constant 50 : index
  %x = arith.constant 1 : i32
  scf.for %k = %c0 to %c4 step %c3 {
    scf.parallel (%i, %j) = (%c3, %c0) to (%c50, %n) step (%c4, %c3) {
      scf.for %l = %c0 to %c50 step %c3 {
        memref.store %x, %m[%i, %j] : memref<64x64xi32>
      }
    }
  }
  return
}

// -----

// Too little work (4 x 2 stores < min-work): the static schedule stays.
// CHECK-LABEL: func @small
// CHECK-NOT: memref.alloca
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%c4, %c2)
// CHECK-NOT: memref.atomic_rmw
func.func @small(%m: memref<64x64xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %x = arith.constant 1 : i32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c2) step (%c1, %c1) {
    memref.store %x, %m[%i, %j] : memref<64x64xi32>
  }
  return
}
