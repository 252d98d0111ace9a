//===- FuseElementwise.cpp - elementwise fusion that keeps contractions ---===//
#include "qc/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace qc {
#define GEN_PASS_DEF_QCFUSEELEMENTWISE
#include "qc/Conversion/Passes.h.inc"
} // namespace qc

using namespace mlir;

namespace {
struct FuseElementwisePass
    : public qc::impl::QCFuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    // Fuse a producer only into consumers without reduction loops: fused
    // into a contraction or a row reduction, an elementwise producer (a
    // requantize, i-GELU) would be recomputed once per use of each element.
    linalg::ControlFusionFn control = [](OpOperand *operand) {
      auto consumer = dyn_cast<linalg::LinalgOp>(operand->getOwner());
      Operation *producer = operand->get().getDefiningOp();
      return consumer && producer &&
             consumer.getNumReductionLoops() == 0 &&
             producer->getResult(0).hasOneUse();
    };
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
