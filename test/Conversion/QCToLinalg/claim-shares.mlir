// RUN: qc-opt %s -split-input-file -verify-diagnostics --qc-claim-shares="chunks=4" | FileCheck %s

// Two dims, a dynamic upper bound: 12 x ceil(%n / 3) iterations in 4 chunks
// that the threads of an omp.parallel claim from a counter on the stack,
// each point found again from its number (the last dim fastest).
// CHECK-LABEL: func @claimed
// CHECK: %[[CTR:.*]] = memref.alloca() : memref<i64>
// CHECK: memref.store %{{.*}}, %[[CTR]][] : memref<i64>
// CHECK: %[[T0:.*]] = arith.ceildivui %{{.*}}, %c4 : index
// CHECK: %[[T1:.*]] = arith.ceildivui %{{.*}}, %c3 : index
// CHECK: %[[TOTAL:.*]] = arith.muli %{{.*}}, %[[T1]] : index
// CHECK: %[[CHUNK:.*]] = arith.maxui
// CHECK: %[[N:.*]] = arith.ceildivui %[[TOTAL]], %[[CHUNK]] : index
// CHECK: %[[N64:.*]] = arith.index_cast %[[N]] : index to i64
// CHECK: omp.parallel {
// CHECK:   scf.while
// CHECK:     %[[C:.*]] = memref.atomic_rmw addi %{{.*}}, %[[CTR]][] : (i64, memref<i64>) -> i64
// CHECK:     %[[MORE:.*]] = arith.cmpi slt, %[[C]], %[[N64]] : i64
// CHECK:     scf.condition(%[[MORE]])
// CHECK:   do
// CHECK:     scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step
// CHECK:       arith.remui %[[J]], %[[T1]] : index
// CHECK:       arith.divui %[[J]], %[[T1]] : index
// CHECK:       memref.store
// CHECK:   omp.terminator
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

// A loop with a reduction is left to convert-scf-to-openmp (its combining
// order is OpenMP's).
// CHECK-LABEL: func @reduction
// CHECK-NOT: memref.alloca
// CHECK: scf.parallel
// CHECK: scf.reduce
// CHECK-NOT: omp.parallel
func.func @reduction(%m: memref<64xi32>) -> i32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %z = arith.constant 0 : i32
  %r = scf.parallel (%i) = (%c0) to (%c64) step (%c1) init (%z) -> i32 {
    %v = memref.load %m[%i] : memref<64xi32>
    scf.reduce(%v : i32) {
    ^bb0(%a: i32, %b: i32):
      %s = arith.addi %a, %b : i32
      scf.reduce.return %s : i32
    }
  }
  return %r : i32
}
