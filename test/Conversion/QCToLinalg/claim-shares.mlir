// RUN: qc-opt %s -split-input-file -verify-diagnostics --qc-claim-shares="chunks=4" | FileCheck %s

// Two dims, a dynamic upper bound: 12 x ceil(%n / 3) iterations in 4
// chunks. Each of the first (up to 64) threads of an omp.parallel owns a
// contiguous range of the chunks, claimed from its own counter (one per
// cache line, on the stack, zeroed before the loop): it takes its own first,
// then what is left of the next owners'. Each point is found again from its
// number (the last dim fastest).
// CHECK-LABEL: func @claimed
// CHECK: %[[CTR:.*]] = memref.alloca() {alignment = 64 : i64} : memref<512xi64>
// CHECK: scf.for %[[Z:.*]] = %{{.*}} to %c512 step %c8
// CHECK:   memref.store %{{.*}}, %[[CTR]][%[[Z]]] : memref<512xi64>
// CHECK: %[[T0:.*]] = arith.ceildivui %{{.*}}, %c4 : index
// CHECK: %[[T1:.*]] = arith.ceildivui %{{.*}}, %c3 : index
// CHECK: %[[TOTAL:.*]] = arith.muli %{{.*}}, %[[T1]] : index
// CHECK: %[[CHUNK:.*]] = arith.maxui
// CHECK: %[[N:.*]] = arith.ceildivui %[[TOTAL]], %[[CHUNK]] : index
// CHECK: omp.parallel {
// CHECK:   %[[TN:.*]] = func.call @omp_get_thread_num() : () -> i32
// CHECK:   %[[T:.*]] = arith.index_cast %[[TN]] : i32 to index
// CHECK:   func.call @omp_get_num_threads() : () -> i32
// CHECK:   %[[OWNERS:.*]] = arith.minui %{{.*}}, %c64
// CHECK:   scf.for %[[K:.*]] = %{{.*}} to %[[OWNERS]]
// CHECK:     %[[TK:.*]] = arith.addi %[[T]], %[[K]] : index
// CHECK:     %[[O:.*]] = arith.remui %[[TK]], %[[OWNERS]] : index
// CHECK:     %[[ON:.*]] = arith.muli %[[O]], %[[N]] : index
// CHECK:     %[[FIRST:.*]] = arith.divui %[[ON]], %[[OWNERS]] : index
// CHECK:     %[[END:.*]] = arith.divui %{{.*}}, %[[OWNERS]] : index
// CHECK:     %[[SLOT:.*]] = arith.muli %[[O]], %c8
// CHECK:     scf.while
// CHECK:       %[[C:.*]] = memref.atomic_rmw addi %{{.*}}, %[[CTR]][%[[SLOT]]] : (i64, memref<512xi64>) -> i64
// CHECK:       %[[CI:.*]] = arith.index_cast %[[C]] : i64 to index
// CHECK:       %[[CHUNKNO:.*]] = arith.addi %[[FIRST]], %[[CI]] : index
// CHECK:       %[[MORE:.*]] = arith.cmpi ult, %[[CHUNKNO]], %[[END]] : index
// CHECK:       scf.condition(%[[MORE]]) %[[CHUNKNO]]
// CHECK:     do
// CHECK:       scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step
// CHECK:         arith.remui %[[J]], %[[T1]] : index
// CHECK:         arith.divui %[[J]], %[[T1]] : index
// CHECK:         memref.store
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

// -----

// A static alloca at the top of the body (a kernel's scratch buffer) is
// made once per thread, before the thread claims chunks, not once per
// iteration inside the loops (which would grow the stack with each).
// CHECK-LABEL: func @scratch
// CHECK: omp.parallel {
// CHECK-NEXT: %[[S:.*]] = memref.alloca() {alignment = 64 : i64} : memref<64xi8>
// CHECK: scf.while
// CHECK-NOT: memref.alloca
// CHECK: memref.store %{{.*}}, %[[S]]
// CHECK: omp.terminator
func.func @scratch(%m: memref<64xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
    %s = memref.alloca() {alignment = 64 : i64} : memref<64xi8>
    %v = memref.load %m[%i] : memref<64xi8>
    memref.store %v, %s[%i] : memref<64xi8>
    %w = memref.load %s[%i] : memref<64xi8>
    memref.store %w, %m[%i] : memref<64xi8>
  }
  return
}
