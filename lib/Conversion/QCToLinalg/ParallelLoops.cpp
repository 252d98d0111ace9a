//===- ParallelLoops.cpp - choose the loops that run on threads -----------===//
//
// `convert-linalg-to-parallel-loops` turns every parallel dimension into an
// scf.parallel; `convert-scf-to-openmp` would then fork a team for each of
// them, nested ones included, and a forked loop over all of an op's dims
// (collapsed) computes its indices by division and loses the inner loop's
// vectorization. This pass keeps, per outermost scf.parallel with enough
// work, the leading dims that give enough iterations to share out; the other
// dims and every nested or small scf.parallel become sequential scf.for.
//
//===----------------------------------------------------------------------===//
#include "qc/Conversion/Passes.h"
#include "qc/Transforms/Utils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"

namespace qc {
#define GEN_PASS_DEF_QCPARALLELLOOPS
#include "qc/Conversion/Passes.h.inc"
} // namespace qc

using namespace mlir;

namespace {
constexpr int64_t kCap = int64_t(1) << 50;

int64_t saturatingMul(int64_t a, int64_t b) {
  return (a && b > kCap / a) ? kCap : a * b;
}

/// The static trip count of a loop dim; a dynamic one (the batch) counts once.
int64_t trips(Value lb, Value ub, Value step) {
  auto l = getConstantIntValue(lb), u = getConstantIntValue(ub),
       s = getConstantIntValue(step);
  if (!l || !u || !s || *s <= 0)
    return 1;
  return std::max<int64_t>(0, (*u - *l + *s - 1) / *s);
}

/// Operations one run of `block` executes, loops multiplied out.
int64_t work(Block &block) {
  int64_t n = 0;
  for (Operation &op : block) {
    int64_t t = 1;
    if (auto f = dyn_cast<scf::ForOp>(op))
      t = trips(f.getLowerBound(), f.getUpperBound(), f.getStep());
    else if (auto p = dyn_cast<scf::ParallelOp>(op))
      for (unsigned d = 0; d < p.getNumLoops(); ++d)
        t = saturatingMul(t, trips(p.getLowerBound()[d], p.getUpperBound()[d],
                                   p.getStep()[d]));
    int64_t inner = 0;
    for (Region &r : op.getRegions())
      for (Block &b : r)
        inner = std::max(inner, work(b));
    n = std::min(kCap, n + 1 + saturatingMul(t, inner));
  }
  return n;
}

/// Replaces `p` by an scf.parallel over its first `keep` dims (none: no
/// scf.parallel at all) around scf.for loops over the others.
void sequentialize(scf::ParallelOp p, unsigned keep) {
  OpBuilder b(p);
  Location loc = p.getLoc();
  unsigned n = p.getNumLoops();
  auto lbs = p.getLowerBound(), ubs = p.getUpperBound(), steps = p.getStep();
  auto inner = [&](OpBuilder &ob, ValueRange outer) {
    IRMapping hoisted;
    qc::hoistStaticAllocas(ob, *p.getBody(), hoisted);
    scf::buildLoopNest(
        ob, loc, lbs.drop_front(keep), ubs.drop_front(keep),
        steps.drop_front(keep),
        [&](OpBuilder &nb, Location, ValueRange ivs) {
          IRMapping map = hoisted;
          for (unsigned d = 0; d < n; ++d)
            map.map(p.getInductionVars()[d],
                    d < keep ? outer[d] : ivs[d - keep]);
          qc::cloneBody(nb, *p.getBody(), map);
        });
  };
  if (keep == 0)
    inner(b, {});
  else
    scf::ParallelOp::create(b, loc, lbs.take_front(keep), ubs.take_front(keep),
                            steps.take_front(keep),
                            [&](OpBuilder &ob, Location, ValueRange outer) {
                              inner(ob, outer);
                            });
  p.erase();
}

struct ParallelLoopsPass
    : public qc::impl::QCParallelLoopsBase<ParallelLoopsPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<scf::ParallelOp> all;
    getOperation()->walk([&](scf::ParallelOp p) { all.push_back(p); });
    for (scf::ParallelOp p : all)
      if (p.getNumResults()) {
        p.emitOpError("has reductions: qc-parallel-loops only shares out "
                      "loops without them (results would depend on threads)");
        return signalPassFailure();
      }
    SmallVector<scf::ParallelOp> outer;
    // Post-order: nested loops first, so each clone copies finished bodies.
    for (scf::ParallelOp p : all) {
      if (p->getParentOfType<scf::ParallelOp>())
        sequentialize(p, 0);
      else
        outer.push_back(p);
    }
    for (scf::ParallelOp p : outer) {
      unsigned n = p.getNumLoops();
      auto dimTrips = [&](unsigned d) {
        return trips(p.getLowerBound()[d], p.getUpperBound()[d], p.getStep()[d]);
      };
      int64_t total = work(*p.getBody());
      for (unsigned d = 0; d < n; ++d)
        total = saturatingMul(total, dimTrips(d));
      if (total < minWork) {
        sequentialize(p, 0);
        continue;
      }
      unsigned keep = 0;
      for (int64_t shares = 1; keep < n && shares < minIterations; ++keep)
        shares = saturatingMul(shares, dimTrips(keep));
      if (keep < n)
        sequentialize(p, keep);
    }
  }
};
} // namespace
