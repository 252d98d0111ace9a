// RUN: qc-opt %s -split-input-file -verify-diagnostics --qc-parallel-loops | FileCheck %s
// RUN: qc-opt %s -split-input-file -verify-diagnostics --qc-parallel-loops --convert-scf-to-openmp | FileCheck %s --check-prefix=OMP

// A large elementwise nest over (n, c, h, w): the leading dims that give at
// least 16 shares (n = 1, c = 64) stay parallel; h and w become scf.for
// inside, so the innermost loop is still a plain loop over w.
// CHECK-LABEL: func @large
// CHECK: scf.parallel (%[[N:.*]], %[[C:.*]]) = (%c0, %c0) to (%c1, %c64) step (%c1, %c1)
// CHECK: scf.for %[[H:.*]] = %c0 to %c56 step %c1
// CHECK: scf.for %[[W:.*]] = %c0 to %c56 step %c1
// CHECK: memref.load %{{.*}}[%[[N]], %[[C]], %[[H]], %[[W]]]
// CHECK-NOT: scf.parallel
// CHECK: return
// OMP-LABEL: func @large
// OMP: omp.parallel
// OMP: omp.wsloop
// OMP: omp.loop_nest (%{{.*}}, %{{.*}}) : index = (%c0, %c0) to (%c1, %c64)
func.func @large(%a: memref<1x64x56x56xi8>, %b: memref<1x64x56x56xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c56 = arith.constant 56 : index
  %c64 = arith.constant 64 : index
  scf.parallel (%n, %c, %h, %w) = (%c0, %c0, %c0, %c0) to (%c1, %c64, %c56, %c56)
      step (%c1, %c1, %c1, %c1) {
    %v = memref.load %a[%n, %c, %h, %w] : memref<1x64x56x56xi8>
    memref.store %v, %b[%n, %c, %h, %w] : memref<1x64x56x56xi8>
  }
  return
}

// -----

// Too little work to pay for a fork: sequential loops only.
// CHECK-LABEL: func @small
// CHECK-NOT: scf.parallel
// CHECK: scf.for
// CHECK: scf.for
// CHECK: memref.store
// OMP-LABEL: func @small
// OMP-NOT: omp.parallel
// OMP: return
func.func @small(%a: memref<4x10xi8>, %b: memref<4x10xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c10 = arith.constant 10 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c10) step (%c1, %c1) {
    %v = memref.load %a[%i, %j] : memref<4x10xi8>
    memref.store %v, %b[%i, %j] : memref<4x10xi8>
  }
  return
}

// -----

// A nested scf.parallel becomes sequential inside the shared-out loop; the
// work counts the inner loops (256 x 64 x 8 x 2 operations).
// CHECK-LABEL: func @nested
// CHECK: scf.parallel (%[[I:.*]]) = (%c0) to (%c256) step (%c1)
// CHECK: scf.for %{{.*}} = %c0 to %c64 step %c1
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c1
// CHECK-NOT: scf.parallel
// CHECK: return
// OMP-LABEL: func @nested
// OMP-COUNT-1: omp.parallel
// OMP-NOT: omp.parallel
// OMP: return
func.func @nested(%a: memref<256x64x8xi8>, %b: memref<256x64x8xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  %c256 = arith.constant 256 : index
  scf.parallel (%i) = (%c0) to (%c256) step (%c1) {
    scf.for %j = %c0 to %c64 step %c1 {
      scf.parallel (%k) = (%c0) to (%c8) step (%c1) {
        %v = memref.load %a[%i, %j, %k] : memref<256x64x8xi8>
        memref.store %v, %b[%i, %j, %k] : memref<256x64x8xi8>
      }
    }
  }
  return
}

// -----

// A dynamic dim (the batch) counts once: the static dims after it are kept
// until there are 16 shares.
// CHECK-LABEL: func @dynamic_batch
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%[[N:.*]], %c512) step (%c1, %c1)
// CHECK: scf.for %{{.*}} = %c0 to %c256 step %c1
func.func @dynamic_batch(%a: memref<?x512x256xi8>, %b: memref<?x512x256xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %c512 = arith.constant 512 : index
  %n = memref.dim %a, %c0 : memref<?x512x256xi8>
  scf.parallel (%i, %j, %k) = (%c0, %c0, %c0) to (%n, %c512, %c256) step (%c1, %c1, %c1) {
    %v = memref.load %a[%i, %j, %k] : memref<?x512x256xi8>
    memref.store %v, %b[%i, %j, %k] : memref<?x512x256xi8>
  }
  return
}

// -----

// A reduction would make float results depend on the thread count.
func.func @reduction(%a: memref<1024xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c1024 = arith.constant 1024 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @+1 {{has reductions: qc-parallel-loops only shares out loops without them}}
  %s = scf.parallel (%i) = (%c0) to (%c1024) step (%c1) init (%zero) -> f32 {
    %v = memref.load %a[%i] : memref<1024xf32>
    scf.reduce(%v : f32) {
    ^bb0(%x: f32, %y: f32):
      %r = arith.addf %x, %y : f32
      scf.reduce.return %r : f32
    }
  }
  return %s : f32
}

// -----

// A loop too small to share out becomes sequential; the static alloca at
// the top of its body (a kernel's scratch buffer) is made once before the
// new loop, not in it (which would grow the stack per iteration).
// CHECK-LABEL: func @scratch
// CHECK: %[[S:.*]] = memref.alloca() {alignment = 64 : i64} : memref<64xi8>
// CHECK-NEXT: scf.for %[[I:.*]] =
// CHECK-NOT: memref.alloca
// CHECK: memref.store %{{.*}}, %[[S]][%[[I]]]
// CHECK-NOT: scf.parallel
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
