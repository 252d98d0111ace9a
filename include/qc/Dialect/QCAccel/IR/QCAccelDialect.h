//===- QCAccelDialect.h - etpu accelerator dialect --------------*- C++ -*-===//
#ifndef QC_DIALECT_QCACCEL_IR_QCACCELDIALECT_H
#define QC_DIALECT_QCACCEL_IR_QCACCELDIALECT_H

#include "qc/Target/Accel/CommandStream.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "qc/Dialect/QCAccel/IR/QCAccelOpsDialect.h.inc"

#define GET_TYPEDEF_CLASSES
#include "qc/Dialect/QCAccel/IR/QCAccelOpsTypes.h.inc"

#define GET_OP_CLASSES
#include "qc/Dialect/QCAccel/IR/QCAccelOps.h.inc"

namespace qc::accel {
/// The command a scheduled op stands for (waits are op indices within its
/// region, given by `indexOf`).
Command commandFromOp(mlir::Operation *op,
                      llvm::function_ref<int32_t(mlir::Operation *)> indexOf);
/// Creates the scheduled op for `c`; `tokens` are the tokens of earlier
/// commands of the same list.
mlir::Operation *buildCommandOp(mlir::OpBuilder &b, mlir::Location loc,
                                const Command &c,
                                llvm::ArrayRef<mlir::Value> tokens);
/// The program of a `qc_accel.program` op (target, sizes, weights, commands).
mlir::FailureOr<RegionProgram> regionFromOp(ProgramOp op);
} // namespace qc::accel

#endif // QC_DIALECT_QCACCEL_IR_QCACCELDIALECT_H
