//===- LoopWork.h - static work estimates of loop nests ---------*- C++ -*-===//
//
// Shared by qc-parallel-loops (which loops run on threads) and
// qc-claim-shares (which of those claim their chunks at run time).
//
//===----------------------------------------------------------------------===//
#ifndef QC_CONVERSION_QCTOLINALG_LOOPWORK_H
#define QC_CONVERSION_QCTOLINALG_LOOPWORK_H

#include "mlir/Dialect/SCF/IR/SCF.h"

namespace qc {
/// The static trip count of a loop dim; a dynamic one (the batch) counts once.
int64_t trips(mlir::Value lb, mlir::Value ub, mlir::Value step);
/// Operations one run of `block` executes, loops multiplied out (saturating).
int64_t work(mlir::Block &block);
/// Operations all iterations of `p` execute.
int64_t parallelWork(mlir::scf::ParallelOp p);
} // namespace qc

#endif // QC_CONVERSION_QCTOLINALG_LOOPWORK_H
