//===- FoldRescale.cpp - dyadic rescale folding ---------------------------===//
#include "qc/Dialect/QC/IR/QCDialect.h"
#include "qc/Support/FixedPoint.h"
#include "qc/Transforms/Passes.h"

namespace qc {
#define GEN_PASS_DEF_QCFOLDRESCALE
#include "qc/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;

namespace {

LogicalResult makeDyadic(RequantizeOp op) {
  if (op.isDyadic())
    return success();
  SmallVector<int32_t> mult, shift;
  ArrayRef<double> scales = *op.getScale();
  for (double s : scales) {
    std::optional<Dyadic> d = toDyadic(s);
    if (!d)
      return op.emitError() << "rescale factor " << s
                            << " has no 32-bit dyadic form (must be < 2^29)";
    mult.push_back(d->multiplier);
    shift.push_back(d->shift);
  }
  Builder b(op.getContext());
  op.setMultiplierAttr(b.getDenseI32ArrayAttr(mult));
  op.setShiftAttr(b.getDenseI32ArrayAttr(shift));
  op.removeScaleAttr(); // no float left in the integer program
  return success();
}

/// requantize -> integer clamp becomes one requantize with the tighter
/// clamp.
void foldClamp(tosa::ClampOp clamp) {
  auto rq = clamp.getInput().getDefiningOp<RequantizeOp>();
  auto lo = dyn_cast<IntegerAttr>(clamp.getMinValAttr());
  auto hi = dyn_cast<IntegerAttr>(clamp.getMaxValAttr());
  if (!rq || !rq->hasOneUse() || !lo || !hi)
    return;
  int64_t nlo = std::max<int64_t>(rq.getMin(), lo.getInt());
  int64_t nhi = std::min<int64_t>(rq.getMax(), hi.getInt());
  nhi = std::max(nlo, nhi);
  Builder b(rq.getContext());
  rq.setMinAttr(b.getI32IntegerAttr(nlo));
  rq.setMaxAttr(b.getI32IntegerAttr(nhi));
  // The requantize now produces the clamp's tensor: take its name.
  rq->setLoc(clamp.getLoc());
  clamp.replaceAllUsesWith(rq.getOutput());
  clamp.erase();
}

bool isIdentity(RequantizeOp op) {
  auto inTy = op.getInput().getType(), outTy = op.getOutput().getType();
  if (inTy != outTy || op.getInputZp() != op.getOutputZp())
    return false;
  unsigned w = outTy.getElementType().getIntOrFloatBitWidth();
  if (op.getMin() != -(int64_t(1) << (w - 1)) ||
      op.getMax() != (int64_t(1) << (w - 1)) - 1)
    return false;
  if (!op.getScale())
    return false;
  ArrayRef<double> scales = *op.getScale();
  return llvm::all_of(scales, [](double s) { return s == 1.0; });
}

struct FoldRescalePass : public qc::impl::QCFoldRescaleBase<FoldRescalePass> {
  void runOnOperation() override {
    SmallVector<tosa::ClampOp> clamps;
    getOperation().walk([&](tosa::ClampOp c) { clamps.push_back(c); });
    for (tosa::ClampOp c : clamps)
      foldClamp(c);
    WalkResult r = getOperation().walk([&](RequantizeOp op) {
      if (isIdentity(op)) {
        op.replaceAllUsesWith(op.getInput());
        op.erase();
        return WalkResult::advance();
      }
      return failed(makeDyadic(op)) ? WalkResult::interrupt()
                                    : WalkResult::advance();
    });
    if (r.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
