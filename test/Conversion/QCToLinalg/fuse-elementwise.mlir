// RUN: qc-opt %s --qc-fuse-elementwise | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// An elementwise chain fuses into one generic; the row sum that reads the
// result keeps its own loop (fused, the chain would run once per use).
// CHECK-LABEL: func @chain_then_reduction
// CHECK: %[[E:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: arith.addi
// CHECK: arith.muli
// CHECK-NOT: linalg.generic {{.*}}["parallel", "parallel"]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%[[E]] : tensor<2x4xi32>)
// CHECK-NOT: arith.muli
// CHECK: return
func.func @chain_then_reduction(%x: tensor<2x4xi32>) -> tensor<2xi32> {
  %e = tensor.empty() : tensor<2x4xi32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<2x4xi32>) outs(%e : tensor<2x4xi32>) {
  ^bb0(%in: i32, %o: i32):
    %c = arith.constant 3 : i32
    %s = arith.addi %in, %c : i32
    linalg.yield %s : i32
  } -> tensor<2x4xi32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<2x4xi32>) outs(%e : tensor<2x4xi32>) {
  ^bb0(%in: i32, %o: i32):
    %c = arith.constant 5 : i32
    %m = arith.muli %in, %c : i32
    linalg.yield %m : i32
  } -> tensor<2x4xi32>
  %z = arith.constant 0 : i32
  %r0 = tensor.empty() : tensor<2xi32>
  %f = linalg.fill ins(%z : i32) outs(%r0 : tensor<2xi32>) -> tensor<2xi32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%b : tensor<2x4xi32>) outs(%f : tensor<2xi32>) {
  ^bb0(%in: i32, %acc: i32):
    %s = arith.addi %in, %acc : i32
    linalg.yield %s : i32
  } -> tensor<2xi32>
  return %sum : tensor<2xi32>
}
