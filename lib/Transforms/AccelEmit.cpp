//===- AccelEmit.cpp - write the command stream, call it from the host ----===//
#include "qc/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <map>

namespace qc {
#define GEN_PASS_DEF_QCACCELEMIT
#include "qc/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc::accel;

namespace {
constexpr int kMaxBuffers = 8;

struct AccelEmitPass : public qc::impl::QCAccelEmitBase<AccelEmitPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<ProgramOp> programs(module.getOps<ProgramOp>());
    bool anyLaunch = false;
    module.walk([&](LaunchOp) { anyLaunch = true; });
    if (output.empty()) {
      if (programs.empty() && !anyLaunch)
        return;
      module.emitError("--qc-accel-emit needs output=<file>");
      return signalPassFailure();
    }
    Program all{*AccelTarget::get("etpu"), {}};
    std::map<std::string, int64_t> index;
    for (ProgramOp p : programs) {
      auto t = AccelTarget::get(p.getTarget().str());
      auto r = regionFromOp(p);
      if (!t || failed(r))
        return signalPassFailure();
      if (!all.regions.empty() && all.target.name != t->name) {
        p.emitOpError("targets ") << t->name << ", others " << all.target.name;
        return signalPassFailure();
      }
      all.target = *t;
      index[p.getSymName().str()] = all.regions.size();
      all.regions.push_back(std::move(*r));
    }
    std::error_code ec;
    llvm::raw_fd_ostream os(output, ec, llvm::sys::fs::OF_None);
    if (ec) {
      module.emitError("cannot write '") << output << "': " << ec.message();
      return signalPassFailure();
    }
    os << serialize(all);

    OpBuilder b(module.getBodyRegion());
    b.setInsertionPointToStart(module.getBody());
    auto i32 = b.getI32Type(), i64 = b.getI64Type();
    SmallVector<Type> argTypes{i32, i32};
    argTypes.append(kMaxBuffers, i64);
    auto submit = func::FuncOp::create(b, module.getLoc(), "qc_accel_submit",
                                       b.getFunctionType(argTypes, {}));
    submit.setPrivate();
    SmallVector<LaunchOp> launches;
    module.walk([&](LaunchOp l) { launches.push_back(l); });
    for (LaunchOp l : launches) {
      auto it = index.find(l.getCallee().str());
      if (it == index.end()) {
        l.emitOpError("calls '") << l.getCallee()
                                 << "', which is not a scheduled program";
        return signalPassFailure();
      }
      if (failed(lowerLaunch(l, it->second, submit)))
        return signalPassFailure();
    }
    for (ProgramOp p : programs)
      p.erase();
  }

  static MemRefType bufferType(Type t) {
    auto rt = cast<RankedTensorType>(t);
    return MemRefType::get(rt.getShape(), rt.getElementType());
  }

  LogicalResult lowerLaunch(LaunchOp l, int64_t region, func::FuncOp submit) {
    size_t n = l.getArgs().size() + l.getResults().size();
    if (n > kMaxBuffers)
      return l.emitOpError("has ") << n << " buffers, more than " << kMaxBuffers;
    OpBuilder b(l);
    Location loc = l.getLoc();
    SmallVector<Value> ptrs;
    auto ptrOf = [&](Value m) {
      Value idx = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, m);
      ptrs.push_back(arith::IndexCastOp::create(b, loc, b.getI64Type(), idx));
    };
    for (Value a : l.getArgs()) {
      auto m = bufferization::ToBufferOp::create(b, loc, bufferType(a.getType()),
                                                 a, /*read_only=*/true);
      ptrOf(m);
    }
    SmallVector<Value> outs;
    for (Type t : l.getResultTypes()) {
      Value m = memref::AllocOp::create(b, loc, bufferType(t),
                                        b.getI64IntegerAttr(64));
      ptrOf(m);
      outs.push_back(m);
    }
    Value zero = arith::ConstantIntOp::create(b, loc, b.getI64Type(), 0);
    while (ptrs.size() < kMaxBuffers)
      ptrs.push_back(zero);
    SmallVector<Value> args{
        arith::ConstantIntOp::create(b, loc, b.getI32Type(), region),
        arith::ConstantIntOp::create(b, loc, b.getI32Type(), n)};
    args.append(ptrs);
    func::CallOp::create(b, loc, submit, args);
    for (auto [r, m] : llvm::zip(l.getResults(), outs))
      r.replaceAllUsesWith(bufferization::ToTensorOp::create(
          b, loc, r.getType(), m, /*restrict=*/true, /*writable=*/true));
    l.erase();
    return success();
  }
};

} // namespace
