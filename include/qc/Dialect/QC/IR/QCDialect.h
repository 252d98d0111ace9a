//===- QCDialect.h - qc dialect ---------------------------------*- C++ -*-===//
#ifndef QC_DIALECT_QC_IR_QCDIALECT_H
#define QC_DIALECT_QC_IR_QCDIALECT_H

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "qc/Dialect/QC/IR/QCOpsDialect.h.inc"

#define GET_OP_CLASSES
#include "qc/Dialect/QC/IR/QCOps.h.inc"

namespace qc {
/// Output size of a sliding window along one dimension (floor mode).
int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                         int64_t padBefore, int64_t padAfter,
                         int64_t dilation = 1);
} // namespace qc

#endif // QC_DIALECT_QC_IR_QCDIALECT_H
