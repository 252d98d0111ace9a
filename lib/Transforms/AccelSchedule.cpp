//===- AccelSchedule.cpp - region functions to command streams ------------===//
#include "qc/Target/Accel/Scheduler.h"
#include "qc/Transforms/Passes.h"
#include "qc/Transforms/Utils.h"

#include "mlir/IR/Builders.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <map>

namespace qc {
#define GEN_PASS_DEF_QCACCELSCHEDULE
#include "qc/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc::accel;

namespace {

struct RegionInfo {
  std::string name;
  Schedule sched;
  std::vector<llvm::json::Object> rows; ///< layer and view rows, in order
};

struct AccelSchedulePass
    : public qc::impl::QCAccelScheduleBase<AccelSchedulePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto target = AccelTarget::get(this->target);
    if (!target) {
      module.emitError("unknown accelerator target '") << this->target << "'";
      return signalPassFailure();
    }
    std::map<int64_t, func::FuncOp> regions;
    for (auto f : module.getOps<func::FuncOp>())
      if (auto idx = f->getAttrOfType<IntegerAttr>("qc_accel.region"))
        regions[idx.getInt()] = f;
    WeightCache cache = makeWeightCache(*target);
    std::map<std::string, RegionInfo> infos;
    for (auto &[idx, rf] : regions) {
      std::string err;
      auto sched = scheduleRegion(rf, *target, cache, err);
      if (!sched) {
        rf.emitError("cannot schedule accelerator region: ") << err;
        return signalPassFailure();
      }
      RegionInfo info{rf.getSymName().str(), std::move(*sched), {}};
      size_t layer = 0;
      for (Operation &op : rf.getBody().front()) {
        if (isa<func::ReturnOp>(op) || op.hasTrait<OpTrait::ConstantLike>())
          continue;
        llvm::json::Object row{{"name", qc::getTensorName(op.getLoc())},
                               {"placement", "accel"},
                               {"region", info.name},
                               {"reasons", llvm::json::Array()}};
        if (auto macs = op.getAttrOfType<IntegerAttr>("qc_accel.macs")) {
          const LayerPlan &l = info.sched.layers[layer++];
          row["op"] = l.kind;
          row["macs"] = l.macs;
          row["cycles"] = l.cycles;
          row["weight_bytes"] = l.weightBytes;
          row["weights"] = l.weightBytes ? (l.cached ? "cached" : "streamed") : "";
          row["tiles"] = l.tiles;
        } else {
          row["op"] = "reshape";
          row["macs"] = 0;
          row["cycles"] = 0;
          row["weight_bytes"] = 0;
          row["weights"] = "";
        }
        info.rows.push_back(std::move(row));
      }
      buildProgram(rf, info.sched, *target);
      infos[info.name] = std::move(info);
      rf.erase();
    }
    if (!report.empty() && failed(writeReport(module, infos, *target, cache)))
      return signalPassFailure();
  }

  void buildProgram(func::FuncOp rf, const Schedule &s, const AccelTarget &t) {
    OpBuilder b(rf);
    const RegionProgram &p = s.program;
    SmallVector<Attribute> layers;
    for (const std::string &l : p.layers)
      layers.push_back(b.getStringAttr(l));
    auto wType = RankedTensorType::get({int64_t(p.weights.size())},
                                       b.getIntegerType(8));
    auto weights = DenseElementsAttr::get(
        wType, ArrayRef<int8_t>(p.weights.data(), p.weights.size()));
    auto prog = ProgramOp::create(
        b, rf.getLoc(), rf.getSymName(), t.name,
        b.getDenseI64ArrayAttr(p.inputBytes),
        b.getDenseI64ArrayAttr(p.outputBytes), p.scratchBytes,
        b.getArrayAttr(layers), weights);
    for (auto [region, cmds] :
         {std::make_pair(&prog.getInit(), &p.init),
          std::make_pair(&prog.getBody(), &p.body)}) {
      Block *block = new Block();
      region->push_back(block);
      OpBuilder cb = OpBuilder::atBlockEnd(block);
      SmallVector<Value> tokens;
      for (const Command &c : *cmds)
        tokens.push_back(
            buildCommandOp(cb, rf.getLoc(), c, tokens)->getResult(0));
    }
  }

  LogicalResult writeReport(ModuleOp module,
                            std::map<std::string, RegionInfo> &infos,
                            const AccelTarget &t, const WeightCache &cache) {
    llvm::json::Array ops;
    int64_t macsAll = 0, macsAccel = 0, opsAll = 0, opsAccel = 0, cycles = 0;
    int64_t streamed = 0, ubPeak = 0, accPeak = 0, transitions = 0;
    std::map<std::string, int64_t> histogram;
    for (auto f : module.getOps<func::FuncOp>()) {
      if (f.isExternal())
        continue;
      bool lastAccel = false;
      f.walk([&](Operation *op) {
        if (auto launch = dyn_cast<LaunchOp>(op)) {
          auto it = infos.find(launch.getCallee().str());
          if (it == infos.end())
            return;
          RegionInfo &info = it->second;
          for (llvm::json::Object &row : info.rows) {
            ++opsAll;
            ++opsAccel;
            int64_t m = *row.getInteger("macs");
            macsAll += m;
            macsAccel += m;
            if (*row.getString("weights") == "streamed")
              streamed += *row.getInteger("weight_bytes");
            ops.push_back(llvm::json::Object(row));
          }
          cycles += info.sched.timeline.total;
          ubPeak = std::max(ubPeak, info.sched.ubPeak);
          accPeak = std::max(accPeak, info.sched.accPeak);
          transitions += !lastAccel;
          lastAccel = true;
          return;
        }
        auto reasons = op->getAttrOfType<ArrayAttr>("qc_accel.reasons");
        if (!reasons)
          return;
        lastAccel = false;
        llvm::json::Array rs;
        for (Attribute r : reasons) {
          std::string s = cast<StringAttr>(r).str();
          rs.push_back(s);
          histogram[s.substr(0, s.find(':'))]++;
        }
        int64_t m = op->getAttrOfType<IntegerAttr>("qc_accel.macs").getInt();
        ++opsAll;
        macsAll += m;
        std::string name = qc::getTensorName(op->getLoc());
        ops.push_back(llvm::json::Object{
            {"name", name.empty() ? op->getName().getStringRef().str() : name},
            {"op", op->getAttrOfType<StringAttr>("qc_accel.kind").str()},
            {"placement", "cpu"},
            {"region", nullptr},
            {"reasons", std::move(rs)},
            {"macs", m},
            {"cycles", 0},
            {"weight_bytes", 0},
            {"weights", ""}});
      });
    }
    llvm::json::Object hist;
    for (auto &[k, v] : histogram)
      hist[k] = v;
    llvm::json::Array regionsJson;
    for (auto &[name, info] : infos)
      regionsJson.push_back(llvm::json::Object{
          {"name", name},
          {"cycles", info.sched.timeline.total},
          {"layers", int64_t(info.sched.layers.size())},
          {"commands", int64_t(info.sched.program.body.size())},
          {"init_commands", int64_t(info.sched.program.init.size())},
          {"dram_read_bytes", info.sched.dramReadBytes},
          {"dram_write_bytes", info.sched.dramWriteBytes},
          {"ub_peak", info.sched.ubPeak},
          {"acc_peak", info.sched.accPeak}});
    llvm::json::Object summary{
        {"target", t.describe()},
        {"mac_fraction_on_accel", macsAll ? double(macsAccel) / macsAll : 0.0},
        {"op_fraction_on_accel", opsAll ? double(opsAccel) / opsAll : 0.0},
        {"ops", opsAll},
        {"ops_on_accel", opsAccel},
        {"macs", macsAll},
        {"macs_on_accel", macsAccel},
        {"cycles", cycles},
        {"est_ms", double(cycles) / (t.clockMHz * 1000.0)},
        {"regions", int64_t(infos.size())},
        {"cpu_to_accel_transitions", transitions},
        {"wb_cached_bytes", cache.used},
        {"wb_cache_capacity", cache.capacity},
        {"wb_streamed_bytes", streamed},
        {"ub_peak", ubPeak},
        {"acc_peak", accPeak},
        {"reason_histogram", std::move(hist)}};
    std::error_code ec;
    llvm::raw_fd_ostream os(report, ec, llvm::sys::fs::OF_Text);
    if (ec)
      return module.emitError("cannot write '") << report << "': " << ec.message();
    os << llvm::formatv("{0:2}", llvm::json::Value(llvm::json::Object{
                                     {"ops", std::move(ops)},
                                     {"regions", std::move(regionsJson)},
                                     {"summary", std::move(summary)}}))
       << "\n";
    return success();
  }
};

} // namespace
