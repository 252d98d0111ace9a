//===- Annotate.cpp - insert fake quantization from statistics ------------===//
#include "qc/Dialect/QC/IR/QCDialect.h"
#include "qc/Transforms/Passes.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"
#include "qc/Transforms/QuantParams.h"
#include "qc/Transforms/Statistics.h"
#include "qc/Transforms/Utils.h"

#include "llvm/Support/MemoryBuffer.h"

#include <cmath>

namespace qc {
#define GEN_PASS_DEF_QCANNOTATE
#include "qc/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;

namespace {

struct AnnotatePass : public qc::impl::QCAnnotateBase<AnnotatePass> {
  using Base::Base;

  void runOnOperation() override {
    qtypeOf.clear();
    fusedClamps.clear();
    excluded.clear();
    for (const std::string &n : exclude)
      excluded.insert(n);
    if (failed(checkOptions()) || failed(loadStats()) || failed(annotate()))
      signalPassFailure();
  }

private:
  std::optional<Statistics> stats;
  llvm::StringSet<> excluded;
  DenseMap<Value, Type> qtypeOf;
  DenseSet<Operation *> fusedClamps;

  LogicalResult checkOptions() {
    func::FuncOp f = getOperation();
    if (weightGranularity != "per-channel" && weightGranularity != "per-tensor")
      return f.emitError() << "weights must be per-channel or per-tensor, got '"
                           << weightGranularity << "'";
    if (activationScheme != "asymmetric" && activationScheme != "symmetric")
      return f.emitError() << "activations must be asymmetric or symmetric, "
                              "got '"
                           << activationScheme << "'";
    if (weightBits != 8 && weightBits != 7)
      return f.emitError() << "weight-bits must be 8 or 7, got "
                           << static_cast<unsigned>(weightBits);
    return success();
  }

  LogicalResult loadStats() {
    func::FuncOp f = getOperation();
    auto buf = llvm::MemoryBuffer::getFile(statsFile);
    if (!buf)
      return f.emitError() << "cannot read statistics file '" << statsFile
                           << "': " << buf.getError().message();
    std::string err;
    stats = Statistics::parse((*buf)->getBuffer(), err);
    if (!stats)
      return f.emitError() << "statistics file '" << statsFile << "' " << err;
    return success();
  }

  FailureOr<std::pair<double, double>> rangeOf(Value v, Operation *at) {
    std::string name = getTensorName(v);
    if (name.empty())
      return at->emitError("a tensor without a name location cannot be "
                           "matched to statistics");
    std::string err;
    auto r = stats->range(name, err);
    if (!r)
      return at->emitError() << err << " in '" << statsFile << "'";
    return *r;
  }

  Value insertFakeQuant(Value v, Type qtype) {
    OpBuilder b(v.getContext());
    if (Operation *def = v.getDefiningOp())
      b.setInsertionPointAfter(def);
    else
      b.setInsertionPointToStart(cast<BlockArgument>(v).getOwner());
    auto fq = FakeQuantOp::create(b, v.getLoc(), v, TypeAttr::get(qtype));
    v.replaceAllUsesExcept(fq, fq);
    qtypeOf[fq] = qtype;
    return fq;
  }

  LogicalResult quantizeActivation(Value v, Operation *at) {
    auto r = rangeOf(v, at);
    if (failed(r))
      return failure();
    insertFakeQuant(v, activationScheme == "symmetric"
                           ? symmetricActivationType(v.getContext(), r->first,
                                                     r->second)
                           : activationType(v.getContext(), r->first,
                                            r->second));
    return success();
  }

  FailureOr<Type> inputQType(Operation *op, Value in) {
    auto it = qtypeOf.find(in);
    if (it == qtypeOf.end())
      return op->emitError() << "input '" << getTensorName(in)
                             << "' of this op is not quantized";
    return it->second;
  }

  bool isExcluded(Operation *op) {
    return excluded.contains(getTensorName(op->getLoc()));
  }

  /// An excluded op stays float: marked, nothing fuses into it, and its
  /// output is quantized only for the quantized ops that consume it.
  LogicalResult keepFloat(Operation *op) {
    op->setAttr("qc.float", UnitAttr::get(op->getContext()));
    Value r = op->getResult(0);
    bool quantizedUser = llvm::any_of(r.getUsers(), [&](Operation *u) {
      return !isExcluded(u) || isa<func::ReturnOp>(u);
    });
    return quantizedUser ? quantizeActivation(r, op) : success();
  }

  /// Output of conv / gemm / add: quantized here unless its only user is a
  /// clamp, which then fuses and is quantized after.
  LogicalResult quantizeOutput(Operation *op) {
    Value r = op->getResult(0);
    if (r.hasOneUse() && isa<tosa::ClampOp>(*r.user_begin()) &&
        !isExcluded(*r.user_begin())) {
      fusedClamps.insert(*r.user_begin());
      return success();
    }
    return quantizeActivation(r, op);
  }

  template <typename OpTy>
  LogicalResult annotateMac(OpTy op) {
    auto inQ = inputQType(op, op.getInput());
    if (failed(inQ))
      return failure();
    auto w = getConstantF64(op.getWeight());
    auto bias = getConstantF64(op.getBias());
    if (!w || !bias)
      return op.emitError("weight and bias must be constant");
    MLIRContext *ctx = op.getContext();
    int64_t outCh = op.getWeight().getType().getDimSize(0);
    size_t per = w->size() / outCh;
    double sIn = getQParams(*inQ).scale();
    int64_t qmax = weightBits == 8 ? 127 : 63;
    bool perTensor = weightGranularity == "per-tensor";
    // An all-zero channel (or tensor) takes the scale of |w| = 1; only its
    // bias matters, at scale s_in / qmax.
    auto scaleFor = [&](double m) {
      return static_cast<double>(static_cast<float>((m > 0 ? m : 1.0) / qmax));
    };
    SmallVector<double> sW;
    double all = 0;
    for (int64_t o = 0; o < outCh; ++o) {
      double m = 0;
      for (size_t i = 0; i < per; ++i)
        m = std::max(m, std::abs((*w)[o * per + i]));
      all = std::max(all, m);
      sW.push_back(scaleFor(m));
    }
    if (perTensor)
      sW.assign(outCh, scaleFor(all));
    // The bias is int32 at s_in * s_w and must leave room for the worst-case
    // accumulation (K * qmax * 255): raise s_w where it would not.
    double room = double(INT32_MAX) - double(per) * qmax * 255.0;
    for (int64_t o = 0; o < outCh && room > 0; ++o) {
      double need = std::abs((*bias)[o]) / (sIn * room);
      if (need > sW[o]) {
        double raised = std::nextafter(static_cast<float>(need), INFINITY);
        op.emitRemark() << "weight scale of output channel " << o
                        << " raised from " << sW[o] << " to " << raised
                        << " so that its bias fits the int32 accumulator";
        if (perTensor)
          sW.assign(outCh, std::max(raised, sW[o]));
        else
          sW[o] = raised;
      }
    }
    SmallVector<double> sB;
    for (double s : sW)
      sB.push_back(sIn * s);
    auto f32 = Float32Type::get(ctx);
    auto i8 = IntegerType::get(ctx, 8);
    Type wType =
        perTensor
            ? Type(quant::UniformQuantizedType::get(
                  quant::QuantizationFlags::Signed, i8, f32, sW[0], 0, -qmax,
                  qmax))
            : Type(quant::UniformQuantizedPerAxisType::get(
                  quant::QuantizationFlags::Signed, i8, f32, sW,
                  SmallVector<int64_t>(outCh, 0), 0, -qmax, qmax));
    auto bType = quant::UniformQuantizedPerAxisType::get(
        quant::QuantizationFlags::Signed, IntegerType::get(ctx, 32), f32, sB,
        SmallVector<int64_t>(outCh, 0), 0, INT32_MIN, INT32_MAX);
    OpBuilder b(op);
    op.getWeightMutable().assign(FakeQuantOp::create(
        b, op.getWeight().getLoc(), op.getWeight(), TypeAttr::get(wType)));
    op.getBiasMutable().assign(FakeQuantOp::create(
        b, op.getBias().getLoc(), op.getBias(), TypeAttr::get(bType)));
    return quantizeOutput(op);
  }

  /// Same-scale ops share their input's parameters.
  LogicalResult shareInputParams(Operation *op) {
    auto inQ = inputQType(op, op->getOperand(0));
    if (failed(inQ))
      return failure();
    insertFakeQuant(op->getResult(0), *inQ);
    return success();
  }

  LogicalResult annotateOp(Operation *op) {
    if (!isa<arith::ConstantOp, FakeQuantOp, func::ReturnOp>(op) &&
        isExcluded(op))
      return keepFloat(op);
    return TypeSwitch<Operation *, LogicalResult>(op)
        .Case<Conv2DOp, GemmOp>([&](auto mac) { return annotateMac(mac); })
        .Case<MaxPool2DOp, tensor::CollapseShapeOp, tensor::ExpandShapeOp>(
            [&](Operation *o) { return shareInputParams(o); })
        .Case([&](tosa::ClampOp c) {
          if (fusedClamps.contains(c))
            return quantizeActivation(c.getOutput(), c);
          return shareInputParams(c);
        })
        .Case([&](AvgPool2DOp p) {
          if (failed(inputQType(p, p.getInput())))
            return failure();
          return quantizeActivation(p.getOutput(), p);
        })
        .Case([&](tosa::TanhOp t) {
          if (failed(inputQType(t, t.getInput())))
            return failure();
          insertFakeQuant(t.getOutput(),
                          fixedType(t.getContext(), 1.0 / 128.0, 0));
          return success();
        })
        .Case([&](tosa::AddOp a) {
          if (failed(inputQType(a, a.getInput1())) ||
              failed(inputQType(a, a.getInput2())))
            return failure();
          return quantizeOutput(a);
        })
        .Case([&](BatchNormOp bn) {
          return bn.emitError("batch norm was not folded (run "
                              "--qc-fold-batchnorm; it needs a conv or gemm "
                              "neighbour) and cannot be quantized alone");
        })
        .Case<arith::ConstantOp, FakeQuantOp, func::ReturnOp>(
            [](Operation *) { return success(); })
        .Default([](Operation *o) {
          return o->emitError() << "op '" << o->getName()
                                << "' is not supported by quantization";
        });
  }

  LogicalResult annotate() {
    func::FuncOp f = getOperation();
    for (BlockArgument arg : f.getArguments())
      if (isa<RankedTensorType>(arg.getType()) &&
          failed(quantizeActivation(arg, f)))
        return failure();
    SmallVector<Operation *> ops;
    for (Operation &op : f.getBody().front())
      ops.push_back(&op);
    for (Operation *op : ops)
      if (failed(annotateOp(op)))
        return failure();
    return success();
  }
};

} // namespace
