//===- ClaimShares.cpp - threads claim loop shares at run time ------------===//
//
// `convert-scf-to-openmp` shares an scf.parallel out with OpenMP's static
// schedule: thread t runs the t-th contiguous part of the iterations. On
// cores that run at different speeds (a busy neighbour on a cloud host) the
// fast thread then waits at the loop's end. libomp's dynamic schedule does
// not help here: Debian's libomp formats a trace string (vsnprintf) in every
// worksharing loop's setup, static and dynamic alike, and the dynamic one
// was slower than static on ResNet-18. This pass rewrites each outermost
// scf.parallel into `chunks` contiguous chunks of its iterations, owned in
// contiguous ranges by the threads of an omp.parallel and claimed from one
// counter per owner, with no worksharing loop at all:
//
//   counters[0 .. 64) = 0                (stack slots of the function, a
//                                         cache line apart)
//   omp.parallel                         (every thread t of T)
//     for k in [0, owners = min(T, 64)):  o = (t + k) % owners
//       while (c = first(o) + atomic_add(counters[o], 1)) < first(o + 1):
//         for j in [c * chunk, min((c + 1) * chunk, trips)): body(point j)
//
// A thread takes its own range first (a counter no other thread touches
// until then, and the same part of every loop, so of the data the previous
// loop left in its cache), then what is left of the others'. One shared
// counter for all chunks (the previous scheme) cost MobileNetV2 7% and
// ResNet-18 5% on 2 threads: every chunk an atomic on a line both cores
// write, and each layer's chunks scattered over the cores. On one thread
// the chunks run in the order of the original loop.
//
//===----------------------------------------------------------------------===//
#include "qc/Conversion/Passes.h"
#include "qc/Transforms/Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
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
// Threads that own a range of the chunks (the others only take what is
// left); one counter per owner, a cache line apart.
constexpr int64_t kMaxOwners = 64, kLine = 8;

Value ceilDiv(OpBuilder &b, Location loc, Value a, Value d) {
  return arith::CeilDivUIOp::create(b, loc, a, d);
}

/// `name`() -> i32 from the OpenMP runtime, declared in the module once.
func::FuncOp ompQuery(ModuleOp module, StringRef name) {
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  auto f = func::FuncOp::create(b, module.getLoc(), name,
                                b.getFunctionType({}, {b.getI32Type()}));
  f.setPrivate();
  return f;
}

/// Rewrites `p`; `counters` is its function's (made on first use).
void claimShares(scf::ParallelOp p, int64_t chunks, func::FuncOp threadNum,
                 func::FuncOp numThreads, Value &counters) {
  Location loc = p.getLoc();
  OpBuilder b(p);
  Type i64 = b.getI64Type();
  auto idx = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  if (!counters) {
    auto fn = p->getParentOfType<FunctionOpInterface>();
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(&fn.getFunctionBody().front());
    counters = memref::AllocaOp::create(
        b, loc, MemRefType::get({kMaxOwners * kLine}, i64), b.getI64IntegerAttr(64));
  }
  Value zero64 = arith::ConstantIntOp::create(b, loc, i64, 0);
  scf::ForOp::create(b, loc, idx(0), idx(kMaxOwners * kLine), idx(kLine), ValueRange{},
                     [&](OpBuilder &, Location, Value o, ValueRange) {
                       memref::StoreOp::create(b, loc, zero64, counters, ValueRange{o});
                       scf::YieldOp::create(b, loc);
                     });
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
  auto team = omp::ParallelOp::create(b, loc);
  b.createBlock(&team.getRegion());
  // A thread's scratch buffers, for all the iterations it claims.
  IRMapping hoisted;
  qc::hoistStaticAllocas(b, *p.getBody(), hoisted);
  auto query = [&](func::FuncOp f) {
    Value v = func::CallOp::create(b, loc, f, ValueRange{}).getResult(0);
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), v).getResult();
  };
  Value t = query(threadNum);
  Value owners = arith::MinUIOp::create(b, loc, query(numThreads), idx(kMaxOwners));
  // Owner o's chunks [o n / owners, (o + 1) n / owners), claimed in order
  // from o's counter: a thread takes its own first, then what is left of the
  // next owners'. (Taking the others' from the back, away from the data
  // their owner works on next, through a second count in the counter's high
  // bits, measured 1-3% slower on 2 threads.)
  scf::ForOp::create(b, loc, idx(0), owners, idx(1), ValueRange{},
    [&](OpBuilder &, Location, Value k, ValueRange) {
      Value o = arith::RemUIOp::create(b, loc, arith::AddIOp::create(b, loc, t, k), owners);
      auto bound = [&](Value i) {
        return arith::DivUIOp::create(b, loc, arith::MulIOp::create(b, loc, i, nchunks),
                                      owners).getResult();
      };
      Value first = bound(o), end = bound(arith::AddIOp::create(b, loc, o, idx(1)));
      Value slot = arith::MulIOp::create(b, loc, o, idx(kLine));
      auto loop = scf::WhileOp::create(b, loc, TypeRange{b.getIndexType()}, ValueRange{});
      b.createBlock(&loop.getBefore());
      Value claimed = memref::AtomicRMWOp::create(
          b, loc, arith::AtomicRMWKind::addi, arith::ConstantIntOp::create(b, loc, i64, 1),
          counters, ValueRange{slot});
      Value c = arith::AddIOp::create(
          b, loc, first, arith::IndexCastOp::create(b, loc, b.getIndexType(), claimed));
      scf::ConditionOp::create(
          b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, c, end),
          ValueRange{c});
      Block *after = b.createBlock(&loop.getAfter(), {}, {b.getIndexType()}, {loc});
      Value lo = arith::MulIOp::create(b, loc, after->getArgument(0), chunk);
      Value hi = arith::MinUIOp::create(b, loc, arith::AddIOp::create(b, loc, lo, chunk), total);
      scf::ForOp::create(
          b, loc, lo, hi, idx(1), ValueRange{},
          [&](OpBuilder &, Location, Value j, ValueRange) {
            // j's point, the last dim fastest (the order of the static schedule).
            IRMapping map = hoisted;
            for (unsigned d = p.getNumLoops(); d-- > 0;) {
              Value rem = arith::RemUIOp::create(b, loc, j, dimTrips[d]);
              j = arith::DivUIOp::create(b, loc, j, dimTrips[d]);
              map.map(p.getInductionVars()[d],
                      arith::AddIOp::create(b, loc, p.getLowerBound()[d],
                                            arith::MulIOp::create(b, loc, rem, p.getStep()[d])));
            }
            qc::cloneBody(b, *p.getBody(), map);
            scf::YieldOp::create(b, loc);
          });
      b.setInsertionPointToEnd(after);
      scf::YieldOp::create(b, loc);
      b.setInsertionPointAfter(loop);
      scf::YieldOp::create(b, loc);
    });
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
    if (outer.empty())
      return;
    auto module = dyn_cast<ModuleOp>(getOperation());
    if (!module)
      module = getOperation()->getParentOfType<ModuleOp>();
    if (!module) {
      emitError(getOperation()->getLoc(),
                "qc-claim-shares: needs a module to declare omp_get_thread_num in");
      return signalPassFailure();
    }
    func::FuncOp threadNum = ompQuery(module, "omp_get_thread_num");
    func::FuncOp numThreads = ompQuery(module, "omp_get_num_threads");
    DenseMap<Operation *, Value> counters;
    for (scf::ParallelOp p : outer)
      claimShares(p, chunks, threadNum, numThreads,
                  counters[p->getParentOfType<FunctionOpInterface>()]);
  }
};
} // namespace
