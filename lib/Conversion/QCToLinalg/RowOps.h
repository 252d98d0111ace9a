//===- RowOps.h - lowerings of the last-axis (transformer) ops --*- C++ -*-===//
#ifndef QC_LIB_CONVERSION_QCTOLINALG_ROWOPS_H
#define QC_LIB_CONVERSION_QCTOLINALG_ROWOPS_H

#include "qc/Dialect/QC/IR/QCDialect.h"

namespace qc {

/// Float softmax / layer norm / GELU and their integer-only kernels
/// (qc.isoftmax, qc.ilayernorm, qc.igelu) as linalg.generic ops over rows
/// of the last axis.
mlir::LogicalResult lowerRowOp(mlir::Operation *op);

} // namespace qc

#endif
