//===- ClaimShares.cpp - threads claim loop shares at run time ------------===//
//
// `convert-scf-to-openmp` shares an scf.parallel out with OpenMP's static
// schedule: thread t runs the t-th contiguous part of the iterations. On
// cores that run at different speeds (a busy neighbour on a cloud host) the
// fast thread then waits at the loop's end. libomp's dynamic schedule does
// not help here: Debian's libomp formats a trace string (vsnprintf) in every
// worksharing loop's setup, static and dynamic alike, and the dynamic one
// was slower than static on ResNet-18. This pass rewrites each outermost
// scf.parallel into `chunks` contiguous chunks of its iterations that the
// threads of an omp.parallel claim from a counter, one atomic add each, with
// no worksharing loop at all:
//
//   counter = 0                          (a stack slot of the function)
//   omp.parallel                         (every thread)
//     while (c = atomic_add(counter, 1)) < nchunks:
//       for j in [c * chunk, min((c + 1) * chunk, trips)): body(point j)
//
// On one thread the chunks run in the order of the original loop.
//
//===----------------------------------------------------------------------===//
#include "qc/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

namespace qc {
#define GEN_PASS_DEF_QCCLAIMSHARES
#include "qc/Conversion/Passes.h.inc"
} // namespace qc

using namespace mlir;

namespace {
Value ceilDiv(OpBuilder &b, Location loc, Value a, Value d) {
  return arith::CeilDivUIOp::create(b, loc, a, d);
}

void claimShares(scf::ParallelOp p, int64_t chunks) {
  Location loc = p.getLoc();
  auto fn = p->getParentOfType<FunctionOpInterface>();
  OpBuilder b(p);
  Type i64 = b.getI64Type();
  auto idx = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  Value counter;
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(&fn.getFunctionBody().front());
    counter = memref::AllocaOp::create(b, loc, MemRefType::get({}, i64));
  }
  memref::StoreOp::create(b, loc, arith::ConstantIntOp::create(b, loc, i64, 0),
                          counter, ValueRange{});
  // Trip count per dim (an upper bound below the lower one runs nothing).
  SmallVector<Value> dimTrips;
  Value total = idx(1);
  for (unsigned d = 0; d < p.getNumLoops(); ++d) {
    Value span = arith::SubIOp::create(
        b, loc, arith::MaxSIOp::create(b, loc, p.getUpperBound()[d], p.getLowerBound()[d]),
        p.getLowerBound()[d]);
    dimTrips.push_back(ceilDiv(b, loc, span, p.getStep()[d]));
    total = arith::MulIOp::create(b, loc, total, dimTrips.back());
  }
  Value chunk = arith::MaxUIOp::create(b, loc, idx(1), ceilDiv(b, loc, total, idx(chunks)));
  Value nchunks = ceilDiv(b, loc, total, chunk);
  Value nchunks64 = arith::IndexCastOp::create(b, loc, i64, nchunks);
  auto team = omp::ParallelOp::create(b, loc);
  b.createBlock(&team.getRegion());
  auto loop = scf::WhileOp::create(b, loc, TypeRange{i64}, ValueRange{});
  b.createBlock(&loop.getBefore());
  Value c = memref::AtomicRMWOp::create(
      b, loc, arith::AtomicRMWKind::addi,
      arith::ConstantIntOp::create(b, loc, i64, 1), counter, ValueRange{});
  scf::ConditionOp::create(
      b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, c, nchunks64),
      ValueRange{c});
  Block *after = b.createBlock(&loop.getAfter(), {}, {i64}, {loc});
  Value lo = arith::MulIOp::create(
      b, loc, arith::IndexCastOp::create(b, loc, b.getIndexType(), after->getArgument(0)),
      chunk);
  Value hi = arith::MinUIOp::create(b, loc, arith::AddIOp::create(b, loc, lo, chunk), total);
  scf::ForOp::create(
      b, loc, lo, hi, idx(1), ValueRange{},
      [&](OpBuilder &, Location, Value j, ValueRange) {
        // j's point, the last dim fastest (the order of the static schedule).
        IRMapping map;
        for (unsigned d = p.getNumLoops(); d-- > 0;) {
          Value rem = arith::RemUIOp::create(b, loc, j, dimTrips[d]);
          j = arith::DivUIOp::create(b, loc, j, dimTrips[d]);
          map.map(p.getInductionVars()[d],
                  arith::AddIOp::create(b, loc, p.getLowerBound()[d],
                                        arith::MulIOp::create(b, loc, rem, p.getStep()[d])));
        }
        for (Operation &op : p.getBody()->without_terminator())
          b.clone(op, map);
        scf::YieldOp::create(b, loc);
      });
  b.setInsertionPointToEnd(after);
  scf::YieldOp::create(b, loc);
  b.setInsertionPointAfter(loop);
  omp::TerminatorOp::create(b, loc);
  p.erase();
}

struct ClaimSharesPass : public qc::impl::QCClaimSharesBase<ClaimSharesPass> {
  using Base::Base;
  void runOnOperation() override {
    if (chunks < 1) {
      emitError(getOperation()->getLoc(), "qc-claim-shares: chunks must be at least 1");
      return signalPassFailure();
    }
    SmallVector<scf::ParallelOp> outer;
    WalkResult nested = getOperation()->walk([&](scf::ParallelOp p) {
      if (p->getParentOfType<scf::ParallelOp>()) {
        p.emitOpError("nested in another scf.parallel: run qc-parallel-loops "
                      "first, which makes it sequential");
        return WalkResult::interrupt();
      }
      if (!p.getNumResults() && p->getParentOfType<FunctionOpInterface>())
        outer.push_back(p);
      return WalkResult::advance();
    });
    if (nested.wasInterrupted())
      return signalPassFailure();
    for (scf::ParallelOp p : outer)
      claimShares(p, chunks);
  }
};
} // namespace
