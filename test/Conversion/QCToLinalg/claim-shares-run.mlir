// Executes a 2-d scf.parallel (a dynamic lower bound, steps 4 and 3) after
// qc-claim-shares on 2 OpenMP threads, with fewer and with more chunks than
// iterations, and on 5 threads (more than the cores: they take chunks from
// each other's ranges), and checks every point ran exactly once: the count
// of cells hit other than expected (0), then all hits (12 x 4).
// RUN: qc-opt %s --qc-claim-shares="chunks=5" --convert-linalg-to-loops \
// RUN:   --convert-scf-to-openmp --qc-inline-alloca-scopes --convert-scf-to-cf \
// RUN:   --convert-openmp-to-llvm --convert-vector-to-llvm --finalize-memref-to-llvm \
// RUN:   --convert-arith-to-llvm --convert-cf-to-llvm --convert-func-to-llvm \
// RUN:   --reconcile-unrealized-casts \
// RUN: | env OMP_NUM_THREADS=2 mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%llvm_lib_dir/libmlir_c_runner_utils.so,%llvm_lib_dir/libomp.so \
// RUN: | FileCheck %s
// RUN: qc-opt %s --qc-claim-shares="chunks=64" --convert-linalg-to-loops \
// RUN:   --convert-scf-to-openmp --qc-inline-alloca-scopes --convert-scf-to-cf \
// RUN:   --convert-openmp-to-llvm --convert-vector-to-llvm --finalize-memref-to-llvm \
// RUN:   --convert-arith-to-llvm --convert-cf-to-llvm --convert-func-to-llvm \
// RUN:   --reconcile-unrealized-casts \
// RUN: | env OMP_NUM_THREADS=2 mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%llvm_lib_dir/libmlir_c_runner_utils.so,%llvm_lib_dir/libomp.so \
// RUN: | FileCheck %s
// RUN: qc-opt %s --qc-claim-shares="chunks=64" --convert-linalg-to-loops \
// RUN:   --convert-scf-to-openmp --qc-inline-alloca-scopes --convert-scf-to-cf \
// RUN:   --convert-openmp-to-llvm --convert-vector-to-llvm --finalize-memref-to-llvm \
// RUN:   --convert-arith-to-llvm --convert-cf-to-llvm --convert-func-to-llvm \
// RUN:   --reconcile-unrealized-casts \
// RUN: | env OMP_NUM_THREADS=5 mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%llvm_lib_dir/libmlir_c_runner_utils.so,%llvm_lib_dir/libomp.so \
// RUN: | FileCheck %s

// CHECK: 0
// CHECK-NEXT: 48

func.func @mark(%m: memref<64x64xi32>, %lo: index, %n: index) {
  %c0 = arith.constant 0 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c50 = arith.constant 50 : index
  %one = arith.constant 1 : i32
  scf.parallel (%i, %j) = (%lo, %c0) to (%c50, %n) step (%c4, %c3) {
    %h = memref.atomic_rmw addi %one, %m[%i, %j] : (i32, memref<64x64xi32>) -> i32
  }
  return
}

// Cells hit other than once by the rewritten loop, then all hits.
func.func @check(%m: memref<64x64xi32>, %lo: index, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c50 = arith.constant 50 : index
  %c64 = arith.constant 64 : index
  %z = arith.constant 0 : i32
  %one = arith.constant 1 : i32
  %r:2 = scf.for %i = %c0 to %c64 step %c1 iter_args(%bad = %z, %all = %z) -> (i32, i32) {
    %s:2 = scf.for %j = %c0 to %c64 step %c1 iter_args(%b = %bad, %a = %all) -> (i32, i32) {
      %d = arith.subi %i, %lo : index
      %ge = arith.cmpi sge, %i, %lo : index
      %lt = arith.cmpi slt, %i, %c50 : index
      %ri = arith.remsi %d, %c4 : index
      %oki = arith.cmpi eq, %ri, %c0 : index
      %jn = arith.cmpi slt, %j, %n : index
      %rj = arith.remsi %j, %c3 : index
      %okj = arith.cmpi eq, %rj, %c0 : index
      %e0 = arith.andi %ge, %lt : i1
      %e1 = arith.andi %e0, %oki : i1
      %e2 = arith.andi %e1, %jn : i1
      %e3 = arith.andi %e2, %okj : i1
      %want = arith.extui %e3 : i1 to i32
      %got = memref.load %m[%i, %j] : memref<64x64xi32>
      %ne = arith.cmpi ne, %want, %got : i32
      %nb = arith.extui %ne : i1 to i32
      %b2 = arith.addi %b, %nb : i32
      %a2 = arith.addi %a, %got : i32
      scf.yield %b2, %a2 : i32, i32
    }
    scf.yield %s#0, %s#1 : i32, i32
  }
  vector.print %r#0 : i32
  vector.print %r#1 : i32
  return
}

func.func @main() {
  %c5 = arith.constant 5 : index
  %c10 = arith.constant 10 : index
  %z = arith.constant 0 : i32
  %hits = memref.alloc() : memref<64x64xi32>
  linalg.fill ins(%z : i32) outs(%hits : memref<64x64xi32>)
  call @mark(%hits, %c5, %c10) : (memref<64x64xi32>, index, index) -> ()
  call @check(%hits, %c5, %c10) : (memref<64x64xi32>, index, index) -> ()
  memref.dealloc %hits : memref<64x64xi32>
  return
}
