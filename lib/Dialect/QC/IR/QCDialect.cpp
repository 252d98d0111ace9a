//===- QCDialect.cpp - qc dialect registration ----------------------------===//
#include "qc/Dialect/QC/IR/QCDialect.h"

using namespace mlir;
using namespace qc;

#include "qc/Dialect/QC/IR/QCOpsDialect.cpp.inc"

void QCDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "qc/Dialect/QC/IR/QCOps.cpp.inc"
      >();
}
