//===- Passes.h - qc transformation passes ----------------------*- C++ -*-===//
#ifndef QC_TRANSFORMS_PASSES_H
#define QC_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Pass/Pass.h"
#include "qc/Dialect/QC/IR/QCDialect.h"
#include "qc/Dialect/QCAccel/IR/QCAccelDialect.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace qc {
#define GEN_PASS_DECL
#include "qc/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "qc/Transforms/Passes.h.inc"
} // namespace qc

#endif // QC_TRANSFORMS_PASSES_H
