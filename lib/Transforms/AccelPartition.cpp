//===- AccelPartition.cpp - place ops on the etpu or the CPU --------------===//
#include "qc/Target/Accel/Constraints.h"
#include "qc/Target/Accel/Scheduler.h"
#include "qc/Transforms/Passes.h"

#include "mlir/Analysis/TopologicalSortUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Verifier.h"

#include <set>
#include <sstream>

namespace qc {
#define GEN_PASS_DEF_QCACCELPARTITION
#include "qc/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc::accel;

namespace {

/// The level-1 layer op of a unit (its operands already mapped).
Operation *buildLayer(OpBuilder &b, const Unit &u, IRMapping &map) {
  auto m = [&](Value v) { return map.lookup(v); };
  Location loc = u.anchor->getLoc();
  auto i32 = [&](int64_t v) { return b.getI32IntegerAttr(v); };
  auto req = [&](qc::RequantizeOp r, OperationState &st) {
    st.addAttribute("multiplier", b.getDenseI32ArrayAttr(*r.getMultiplier()));
    st.addAttribute("shift", b.getDenseI32ArrayAttr(*r.getShift()));
    st.addAttribute("output_zp", i32(r.getOutputZp()));
    st.addAttribute("min", i32(r.getMin()));
    st.addAttribute("max", i32(r.getMax()));
  };
  Type resTy = u.result().getType();
  switch (u.kind) {
  case UnitKind::Conv:
  case UnitKind::Depthwise: {
    auto c = cast<qc::Conv2DOp>(u.anchor);
    OperationState st(loc, u.kind == UnitKind::Conv ? "qc_accel.conv2d"
                                                    : "qc_accel.depthwise_conv2d");
    st.addOperands({m(c.getInput()), m(c.getWeight()), m(c.getBias())});
    st.addAttribute("strides", c.getStridesAttr());
    st.addAttribute("pads", c.getPadsAttr());
    st.addAttribute("dilations", c.getDilationsAttr());
    st.addAttribute("input_zp", i32(c.getInputZp().value_or(0)));
    req(cast<qc::RequantizeOp>(u.last), st);
    st.addTypes(resTy);
    return b.create(st);
  }
  case UnitKind::Matmul: {
    auto g = cast<qc::GemmOp>(u.anchor);
    OperationState st(loc, "qc_accel.matmul");
    st.addOperands({m(g.getInput()), m(g.getWeight()), m(g.getBias())});
    st.addAttribute("input_zp", i32(g.getInputZp().value_or(0)));
    req(cast<qc::RequantizeOp>(u.last), st);
    st.addTypes(resTy);
    return b.create(st);
  }
  case UnitKind::MaxPool:
  case UnitKind::SumPool: {
    OperationState st(loc, "qc_accel.pool");
    st.addOperands(m(u.anchor->getOperand(0)));
    for (const char *a : {"kernel", "strides", "pads"})
      st.addAttribute(a, u.anchor->getAttr(a));
    if (auto sp = dyn_cast<qc::SumPool2DOp>(u.anchor)) {
      st.addAttribute("kind", b.getStringAttr("sum"));
      st.addAttribute("input_zp", i32(sp.getInputZp()));
      req(cast<qc::RequantizeOp>(u.last), st);
    } else {
      st.addAttribute("kind", b.getStringAttr("max"));
      st.addAttribute("input_zp", i32(0));
      st.addAttribute("multiplier", b.getDenseI32ArrayAttr({1 << 30}));
      st.addAttribute("shift", b.getDenseI32ArrayAttr({30}));
      st.addAttribute("output_zp", i32(0));
      st.addAttribute("min", i32(-128));
      st.addAttribute("max", i32(127));
    }
    st.addTypes(resTy);
    return b.create(st);
  }
  case UnitKind::Add: {
    auto a = cast<tosa::AddOp>(u.anchor);
    auto l = a.getInput1().getDefiningOp<qc::RequantizeOp>();
    auto r = a.getInput2().getDefiningOp<qc::RequantizeOp>();
    auto out = cast<qc::RequantizeOp>(u.last);
    OperationState st(loc, "qc_accel.eltwise");
    st.addOperands({m(l.getInput()), m(r.getInput())});
    st.addAttribute("kind", b.getStringAttr("add"));
    st.addAttribute("lhs_zp", i32(l.getInputZp()));
    st.addAttribute("lhs_multiplier", i32((*l.getMultiplier())[0]));
    st.addAttribute("lhs_shift", i32((*l.getShift())[0]));
    st.addAttribute("rhs_zp", i32(r.getInputZp()));
    st.addAttribute("rhs_multiplier", i32((*r.getMultiplier())[0]));
    st.addAttribute("rhs_shift", i32((*r.getShift())[0]));
    st.addAttribute("sum_zp", i32(out.getInputZp()));
    req(out, st);
    st.addTypes(resTy);
    return b.create(st);
  }
  case UnitKind::Lut: {
    OperationState st(loc, "qc_accel.lut");
    st.addOperands({m(u.anchor->getOperand(0)), m(u.anchor->getOperand(1))});
    st.addTypes(resTy);
    return b.create(st);
  }
  case UnitKind::Requant: {
    auto r = cast<qc::RequantizeOp>(u.anchor);
    OperationState st(loc, "qc_accel.requantize");
    st.addOperands(m(r.getInput()));
    st.addAttribute("input_zp", i32(r.getInputZp()));
    req(r, st);
    st.addTypes(resTy);
    return b.create(st);
  }
  case UnitKind::View:
    return b.clone(*u.anchor, map);
  case UnitKind::Other:
    break;
  }
  return nullptr;
}

struct AccelPartitionPass
    : public qc::impl::QCAccelPartitionBase<AccelPartitionPass> {
  using Base::Base;

  void runOnOperation() override {
    auto target = AccelTarget::get(this->target);
    if (!target) {
      getOperation().emitError("unknown accelerator target '")
          << this->target << "' (known: etpu, etpu-tiny)";
      return signalPassFailure();
    }
    WeightCache cache = makeWeightCache(*target);
    int regionCount = 0;
    SmallVector<func::FuncOp> funcs;
    for (auto f : getOperation().getOps<func::FuncOp>())
      if (!f.isPrivate() && !f.isExternal())
        funcs.push_back(f);
    for (func::FuncOp f : funcs)
      if (failed(partition(f, *target, cache, regionCount)))
        return signalPassFailure();
  }

  LogicalResult partition(func::FuncOp f, const AccelTarget &t,
                          WeightCache &cache, int &regionCount) {
    std::vector<Unit> units = formUnits(f);
    llvm::DenseMap<Operation *, int> unitOf;
    for (auto [i, u] : llvm::enumerate(units)) {
      checkUnit(u, t);
      for (Operation *op : u.ops)
        unitOf[op] = i;
    }
    auto producers = [&](const Unit &u) {
      SmallVector<int> ps;
      for (Value v : u.inputs())
        if (Operation *d = v.getDefiningOp())
          if (auto it = unitOf.find(d); it != unitOf.end())
            ps.push_back(it->second);
      return ps;
    };
    // Maximal convex regions in program order: a unit joins a region of one
    // of its producers unless some path from that region reaches it through
    // an op outside the region.
    std::vector<int> region(units.size(), -1);
    std::vector<std::set<int>> upstream(units.size());
    int numRegions = 0;
    for (size_t i = 0; i < units.size(); ++i) {
      Unit &u = units[i];
      SmallVector<int> ps = producers(u);
      if (u.reasons.empty()) {
        std::set<int> cands;
        for (int p : ps)
          if (region[p] >= 0)
            cands.insert(region[p]);
        for (int r : cands) {
          bool ok = llvm::all_of(ps, [&](int p) {
            return region[p] == r || !upstream[p].count(r);
          });
          if (ok) {
            region[i] = r;
            break;
          }
        }
        if (region[i] < 0) {
          if (u.kind == UnitKind::View)
            u.reasons.push_back(std::string(kReasonViewAlone) +
                                ": its producer runs on the CPU; a reshape "
                                "alone is free there");
          else
            region[i] = numRegions++;
        }
      }
      for (int p : ps)
        upstream[i].insert(upstream[p].begin(), upstream[p].end());
      if (region[i] >= 0)
        upstream[i].insert(region[i]);
    }
    for (int r = 0; r < numRegions; ++r) {
      SmallVector<int> members;
      for (size_t i = 0; i < units.size(); ++i)
        if (region[i] == r)
          members.push_back(i);
      if (members.empty())
        continue;
      std::string why = outline(f, units, members, t, cache, regionCount);
      if (!why.empty())
        for (int i : members) {
          units[i].reasons.push_back(why);
          region[i] = -1;
        }
    }
    // Reasons on what stays on the CPU, for the report.
    Builder b(f.getContext());
    for (size_t i = 0; i < units.size(); ++i) {
      if (region[i] >= 0)
        continue;
      Unit &u = units[i];
      SmallVector<Attribute> rs;
      for (const std::string &r : u.reasons)
        rs.push_back(b.getStringAttr(r));
      u.anchor->setAttr("qc_accel.reasons", b.getArrayAttr(rs));
      u.anchor->setAttr("qc_accel.kind", b.getStringAttr(unitKindName(u.kind)));
      u.anchor->setAttr("qc_accel.macs", b.getI64IntegerAttr(u.macs));
    }
    if (!sortTopologically(&f.getBody().front()))
      return f.emitError("internal: partitioning left a cycle");
    for (Operation &op :
         llvm::make_early_inc_range(llvm::reverse(f.getBody().front())))
      if (op.hasTrait<OpTrait::ConstantLike>() && op.use_empty())
        op.erase();
    return success();
  }

  /// Outlines region `members`; returns "" when it stays on the
  /// accelerator, else the reason it goes back to the CPU.
  std::string outline(func::FuncOp f, std::vector<Unit> &units,
                      ArrayRef<int> members, const AccelTarget &t,
                      WeightCache &cache, int &regionCount) {
    llvm::DenseSet<Operation *> inRegion;
    for (int i : members)
      for (Operation *op : units[i].ops)
        inRegion.insert(op);
    SmallVector<Value> ins, outs;
    int64_t macs = 0, outBytes = 0;
    for (int i : members) {
      macs += units[i].macs;
      for (Value v : units[i].inputs())
        if (!(v.getDefiningOp() &&
              (v.getDefiningOp()->hasTrait<OpTrait::ConstantLike>() ||
               inRegion.count(v.getDefiningOp()))) &&
            !llvm::is_contained(ins, v))
          ins.push_back(v);
      Value r = units[i].result();
      outBytes += cast<ShapedType>(r.getType()).getNumElements();
      if (llvm::any_of(r.getUsers(),
                       [&](Operation *u) { return !inRegion.count(u); }))
        outs.push_back(r);
    }
    std::ostringstream os;
    os << "region of " << members.size() << " op(s) from '"
       << units[members.front()].name << "'";
    std::string what = os.str();
    if (ins.size() + outs.size() > 8)
      return std::string(kReasonRegionIO) + ": " + what + " needs " +
             std::to_string(ins.size() + outs.size()) +
             " input and output buffers (at most 8)";
    if (outs.empty())
      return std::string(kReasonLowering) + ": " + what + " has no result used";

    // The region function of layer ops.
    MLIRContext *ctx = f.getContext();
    OpBuilder mb(ctx);
    mb.setInsertionPoint(f);
    std::string name = "qc_accel_region" + std::to_string(regionCount);
    auto type = FunctionType::get(ctx, ValueRange(ins).getTypes(),
                                  ValueRange(outs).getTypes());
    auto rf = func::FuncOp::create(mb, f.getLoc(), name, type);
    rf.setPrivate();
    rf->setAttr("qc_accel.region", mb.getI64IntegerAttr(regionCount));
    Block *entry = rf.addEntryBlock();
    OpBuilder b = OpBuilder::atBlockBegin(entry);
    IRMapping map;
    for (auto [v, a] : llvm::zip(ins, entry->getArguments()))
      map.map(v, a);
    for (int i : members) {
      for (Value v : units[i].inputs())
        if (!map.contains(v))
          map.map(v, b.clone(*v.getDefiningOp())->getResult(0));
      Operation *layer = buildLayer(b, units[i], map);
      if (units[i].kind != UnitKind::View)
        layer->setAttr("qc_accel.macs", b.getI64IntegerAttr(units[i].macs));
      map.map(units[i].result(), layer->getResult(0));
    }
    SmallVector<Value> rets;
    for (Value v : outs)
      rets.push_back(map.lookup(v));
    func::ReturnOp::create(b, f.getLoc(), rets);

    // Trial schedule: failures and slow regions go back to the CPU.
    std::string err;
    WeightCache trial = cache;
    auto sched = failed(mlir::verify(rf))
                     ? std::nullopt
                     : scheduleRegion(rf, t, trial, err);
    if (!sched) {
      rf.erase();
      return std::string(kReasonLowering) + ": " + what + ": " +
             (err.empty() ? "the region's layer ops do not verify" : err);
    }
    double accelNs = double(sched->timeline.total) * 1000.0 / t.clockMHz;
    double cpuNs = double(macs) / t.cpuMacsPerNs +
                   double(macs ? 0 : outBytes) / t.cpuBytesPerNs;
    if (cost && accelNs >= cpuNs) {
      rf.erase();
      std::ostringstream r;
      r.precision(3);
      r << kReasonCost << ": " << what << ", " << macs << " MACs: etpu "
        << accelNs / 1000.0 << " us (DMA included) >= CPU model "
        << cpuNs / 1000.0 << " us";
      return r.str();
    }
    cache = trial;
    ++regionCount;
    // Replace the region's ops by the launch.
    OpBuilder fb(ctx);
    fb.setInsertionPoint(f.getBody().front().getTerminator());
    auto launch = LaunchOp::create(fb, units[members.front()].anchor->getLoc(),
                                   ValueRange(outs).getTypes(),
                                   SymbolRefAttr::get(rf.getSymNameAttr()), ins);
    for (auto [v, r] : llvm::zip(outs, launch.getResults()))
      v.replaceUsesWithIf(r, [&](OpOperand &use) {
        return !inRegion.count(use.getOwner());
      });
    SmallVector<Operation *> dead(inRegion.begin(), inRegion.end());
    llvm::sort(dead, [](Operation *a, Operation *b) { return b->isBeforeInBlock(a); });
    for (Operation *op : dead)
      op->erase();
    return "";
  }
};

} // namespace
