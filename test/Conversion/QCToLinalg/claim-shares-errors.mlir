// RUN: qc-opt %s -verify-diagnostics --qc-claim-shares
// RUN: not qc-opt %s --qc-claim-shares="chunks=0" 2>&1 | FileCheck %s --check-prefix=CHUNKS

// CHUNKS: qc-claim-shares: chunks must be at least 1

func.func @nested(%m: memref<8x8xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %x = arith.constant 1 : i32
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    // expected-error @below {{nested in another scf.parallel: run qc-parallel-loops first, which makes it sequential}}
    scf.parallel (%j) = (%c0) to (%c8) step (%c1) {
      memref.store %x, %m[%i, %j] : memref<8x8xi32>
    }
  }
  return
}
