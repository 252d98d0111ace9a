//===- qc-opt.cpp - qc optimizer driver -----------------------------------===//
//
// mlir-opt with the qc dialect, the qc passes and the `qc-lower-to-llvm`
// pipeline, plus every upstream dialect and pass.
//
//===----------------------------------------------------------------------===//
#include "qc/Conversion/Passes.h"
#include "qc/Dialect/QC/IR/QCDialect.h"
#include "qc/Dialect/QCAccel/IR/QCAccelDialect.h"
#include "qc/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  qc::registerQCTransformsPasses();
  qc::registerQCConversionPasses();
  qc::registerQCPipelines();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<qc::QCDialect, qc::accel::QCAccelDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "qc optimizer driver\n", registry));
}
