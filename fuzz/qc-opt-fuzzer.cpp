//===- qc-opt-fuzzer.cpp - fuzz parsing, verification and the pipeline ----===//
//
// Each input is MLIR text. It is parsed and verified with the dialects qc
// uses, then the whole quantization and lowering pipeline runs on it (with
// a fixed statistics file), and the accelerator passes (partition, schedule,
// emit for etpu-tiny) run on a copy of the integer IR. Errors are expected; crashes, sanitizer reports
// and invalid IR left by a pass (the pass manager verifies after each pass)
// are bugs.
//
//===----------------------------------------------------------------------===//
#include "qc/Conversion/Passes.h"
#include "qc/Dialect/QC/IR/QCDialect.h"
#include "qc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/Regex.h"

#include <cstdio>
#include <unistd.h>
#include <fstream>

using namespace mlir;

static const char kStats[] = R"({"format": "qc-stats", "version": 1,
 "tensors": {"input": {"min": -1.0, "max": 1.0}, "a": {"min": 0, "max": 6},
             "b": {"min": -3, "max": 3, "range": [-2, 2]}}})";

static MLIRContext &context() {
  static MLIRContext *ctx = [] {
    DialectRegistry registry;
    registry.insert<func::FuncDialect, arith::ArithDialect,
                    tensor::TensorDialect, tosa::TosaDialect,
                    quant::QuantDialect, linalg::LinalgDialect,
                    math::MathDialect, qc::QCDialect,
                    qc::accel::QCAccelDialect>();
    auto *c = new MLIRContext(registry, MLIRContext::Threading::DISABLED);
    c->loadAllAvailableDialects();
    return c;
  }();
  return *ctx;
}

static const std::string &statsPath() {
  static std::string path = [] {
    std::string p = "/tmp/qc-fuzz-stats-" + std::to_string(::getpid()) + ".json";
    std::ofstream(p) << kStats;
    return p;
  }();
  return path;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  MLIRContext &ctx = context();
  ScopedDiagnosticHandler quiet(&ctx, [](Diagnostic &) { return success(); });
  // The MLIR lexer needs a NUL-terminated buffer, as files give it.
  std::string text(reinterpret_cast<const char *>(data), size);
  // Upstream MLIR 22 crashes verifying a reshape with an empty reassociation
  // group (fuzz/upstream-crashes/); keep fuzzing qc rather than that.
  static llvm::Regex emptyGroup("_shape[^\n]*\\[[[:space:]]*\\]");
  if (emptyGroup.match(text))
    return 0;
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(text, ParserConfig(&ctx));
  if (!module || failed(verify(*module)))
    return 0;
  PassManager pm(&ctx);
  pm.addNestedPass<func::FuncOp>(qc::createQCFoldBatchNorm());
  qc::QCAnnotateOptions annotate;
  annotate.statsFile = statsPath();
  pm.addNestedPass<func::FuncOp>(qc::createQCAnnotate(annotate));
  pm.addNestedPass<func::FuncOp>(qc::createQCFakeToReal());
  pm.addNestedPass<func::FuncOp>(qc::createQCFoldRescale());
  if (failed(pm.run(*module)))
    return 0;
  OwningOpRef<ModuleOp> copy = module->clone();
  PassManager accel(&ctx);
  qc::QCAccelPartitionOptions partition;
  partition.target = "etpu-tiny";
  partition.cost = false;
  accel.addPass(qc::createQCAccelPartition(partition));
  qc::QCAccelScheduleOptions schedule;
  schedule.target = "etpu-tiny";
  accel.addPass(qc::createQCAccelSchedule(schedule));
  qc::QCAccelEmitOptions emit;
  emit.output = "/tmp/qc-fuzz-accel-" + std::to_string(::getpid()) + ".qcx";
  accel.addPass(qc::createQCAccelEmit(emit));
  (void)accel.run(*copy);
  PassManager lower(&ctx);
  lower.addPass(qc::createConvertQCToLinalg());
  (void)lower.run(*module);
  return 0;
}
