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
    fusedMuls.clear();
    excluded.clear();
    bitsOf.clear();
    symmetric.clear();
    asymmetric.clear();
    used.clear();
    for (const std::string &n : exclude)
      excluded.insert(n);
    if (failed(checkOptions()) || failed(loadStats()) || failed(annotate()) ||
        failed(checkOverridesUsed()))
      signalPassFailure();
  }

private:
  std::optional<Statistics> stats;
  llvm::StringSet<> excluded;
  DenseMap<Value, Type> qtypeOf;
  DenseSet<Operation *> fusedClamps, fusedMuls;
  llvm::StringMap<unsigned> bitsOf; // layer-bits
  llvm::StringSet<> symmetric, asymmetric, used;

  static bool validBits(unsigned b) { return b == 8 || b == 7 || b == 4; }

  /// int8 parameters as the activation storage type asks (uint8: zero
  /// point + 128, the same values).
  Type storage(quant::UniformQuantizedType t) {
    return activationStorage == "uint8" ? Type(toUnsigned(t)) : Type(t);
  }

  LogicalResult checkOptions() {
    func::FuncOp f = getOperation();
    if (weightGranularity != "per-channel" && weightGranularity != "per-tensor")
      return f.emitError() << "weights must be per-channel or per-tensor, got '"
                           << weightGranularity << "'";
    if (activationScheme != "asymmetric" && activationScheme != "symmetric")
      return f.emitError() << "activations must be asymmetric or symmetric, "
                              "got '"
                           << activationScheme << "'";
    if (activationStorage != "int8" && activationStorage != "uint8")
      return f.emitError() << "activation-type must be int8 or uint8, got '"
                           << activationStorage << "'";
    if (!validBits(weightBits))
      return f.emitError() << "weight-bits must be 8, 7 or 4, got "
                           << static_cast<unsigned>(weightBits);
    if (groupSize == 0)
      return f.emitError("group-size must be at least 1");
    if (nonlinear != "ibert" && nonlinear != "lut" && nonlinear != "float")
      return f.emitError() << "nonlinear must be ibert, lut or float, got '"
                           << nonlinear << "'";
    for (const std::string &e : layerBits) {
      auto [name, bits] = StringRef(e).rsplit('=');
      unsigned b = 0;
      if (name.empty() || bits.getAsInteger(10, b) || !validBits(b))
        return f.emitError() << "layer-bits entry '" << e
                             << "' must be NAME=8, NAME=7 or NAME=4";
      bitsOf[name] = b;
    }
    for (const std::string &n : symmetricTensors)
      symmetric.insert(n);
    for (const std::string &n : asymmetricTensors)
      if (!asymmetric.insert(n).second || symmetric.contains(n))
        return f.emitError() << "tensor '" << n
                             << "' is listed twice in symmetric / asymmetric";
    return success();
  }

  /// Every override must have named something.
  LogicalResult checkOverridesUsed() {
    for (auto &e : bitsOf)
      if (!used.contains(e.getKey()))
        return getOperation().emitError()
               << "layer-bits names '" << e.getKey()
               << "', which is not the output of a quantized conv or gemm";
    for (auto *list : {&symmetric, &asymmetric})
      for (auto &e : *list)
        if (!used.contains(e.getKey()))
          return getOperation().emitError()
                 << (list == &symmetric ? "symmetric" : "asymmetric")
                 << " names '" << e.getKey()
                 << "', which is not a quantized activation";
    return success();
  }

  LogicalResult loadStats() {
    func::FuncOp f = getOperation();
    if (statsFile.empty())
      return success(); // a model quantized by its own Q/DQ needs none
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
    if (!stats)
      return at->emitError() << "tensor '" << name
                             << "' is not quantized by the model and no "
                                "statistics were given (calibrate it)";
    std::string err;
    auto r = stats->range(name, err);
    if (!r)
      return at->emitError() << err << " in '" << statsFile << "'";
    return *r;
  }

  /// The fake quant a QDQ model already put on `v` (its only user): its
  /// parameters are kept as given.
  FakeQuantOp givenFakeQuant(Value v) {
    if (!v.hasOneUse())
      return nullptr;
    auto fq = dyn_cast<FakeQuantOp>(*v.user_begin());
    if (fq)
      qtypeOf[fq] = fq.getQtype();
    return fq;
  }

  Value insertFakeQuant(Value v, Type qtype) {
    if (FakeQuantOp given = givenFakeQuant(v))
      return given;
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
    if (givenFakeQuant(v))
      return success();
    auto r = rangeOf(v, at);
    if (failed(r))
      return failure();
    std::string name = getTensorName(v);
    bool sym = symmetric.contains(name), asym = asymmetric.contains(name);
    if (sym || asym)
      used.insert(name);
    double m = std::max(std::abs(r->first), std::abs(r->second));
    if (auto floor = wideInputFloor(v, m)) {
      insertFakeQuant(v, wideType(v.getContext(), m, *floor));
      return success();
    }
    insertFakeQuant(v, storage(sym || (!asym && activationScheme == "symmetric")
                                   ? symmetricActivationType(v.getContext(),
                                                             r->first, r->second)
                                   : activationType(v.getContext(), r->first,
                                                    r->second)));
    return success();
  }

  /// Is `op` one of the integer-only kernels under the current policy?
  bool isKernel(Operation *op) {
    if (nonlinear == "float" || isExcluded(op))
      return false;
    return isa<SoftmaxOp, LayerNormOp>(op) ||
           (isa<GeluOp>(op) && nonlinear == "ibert");
  }

  /// When `v` is better quantized at 16 bits (see the pass description):
  /// the smallest scale its kernel users allow for max |v| = m.
  std::optional<double> wideInputFloor(Value v, double m) {
    if (!isa<OpResult>(v))
      return std::nullopt;
    bool kernel = false;
    double floor = 0;
    SmallVector<Value> work = {v};
    while (!work.empty()) {
      Value cur = work.pop_back_val();
      for (Operation *u : cur.getUsers()) {
        if (isa<tosa::ReshapeOp, tosa::TransposeOp, tosa::SliceOp>(u) &&
            !isExcluded(u)) {
          work.push_back(u->getResult(0));
          continue;
        }
        if (isKernel(u)) {
          kernel = true;
          if (isa<SoftmaxOp>(u))
            floor = std::max(floor, std::ldexp(1.0, -15));
          if (isa<GeluOp>(u)) // |q| * 2 |one| < 2^31, one ~ 1 / (2366 s^2)
            floor = std::max(floor, std::cbrt(2.2 * m / (2366.0 * 2147483648.0)));
          continue;
        }
        bool neutral = !isExcluded(u) &&
                       (isa<tosa::AddOp, tosa::ReduceSumOp>(u) ||
                        (isa<tosa::MulOp>(u) && getFusedScalarMul(cur)));
        if (!neutral)
          return std::nullopt;
      }
    }
    return kernel ? std::optional<double>(floor) : std::nullopt;
  }

  /// Output of a matmul or reduce_sum: a scalar multiply that is its only
  /// user fuses (quantized after it), else quantized here.
  LogicalResult quantizeOrFuseScalar(Operation *op) {
    if (auto fused = getFusedScalarMul(op->getResult(0)))
      if (!isExcluded(fused->first)) {
        fusedMuls.insert(fused->first);
        return success();
      }
    return quantizeOutput(op);
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
    if (auto wFq = op.getWeight().template getDefiningOp<FakeQuantOp>())
      if (getConstantF64(wFq.getInput()))
        return keepGivenWeights(op, wFq, getQParams(*inQ).scale());
    auto w = getConstantF64(op.getWeight());
    auto bias = getConstantF64(op.getBias());
    if (!w || !bias)
      return op.emitError("weight and bias must be constant");
    MLIRContext *ctx = op.getContext();
    int64_t outCh = op.getWeight().getType().getDimSize(0);
    size_t per = w->size() / outCh;
    double sIn = getQParams(*inQ).scale();
    std::string name = getTensorName(op.getLoc());
    unsigned bits = weightBits;
    auto given = bitsOf.find(name);
    if (given != bitsOf.end()) {
      bits = given->second;
      used.insert(name);
    }
    if (bits == 4) {
      std::string why = int4Obstacle(op, per);
      if (why.empty())
        return annotateGrouped(op, sIn, *w, *bias);
      if (given != bitsOf.end())
        return op.emitError() << "layer '" << name
                              << "' cannot take 4-bit weights: " << why;
      op.emitRemark() << "weights kept at 8 bits: " << why;
      bits = 8;
    }
    int64_t qmax = bits == 8 ? 127 : 63;
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
    return attachWeightAndBias(op, wType, sB);
  }

  /// int32 bias parameters, one scale per output channel, zero point 0.
  static Type biasType(MLIRContext *ctx, ArrayRef<double> scales) {
    return quant::UniformQuantizedPerAxisType::get(
        quant::QuantizationFlags::Signed, IntegerType::get(ctx, 32),
        Float32Type::get(ctx), scales,
        SmallVector<int64_t>(scales.size(), 0), 0, INT32_MIN, INT32_MAX);
  }

  /// Fake-quantizes a conv / gemm's weight with `wType` and its bias at
  /// `biasScales`, then its output.
  template <typename OpTy>
  LogicalResult attachWeightAndBias(OpTy op, Type wType,
                                    ArrayRef<double> biasScales) {
    OpBuilder b(op);
    op.getWeightMutable().assign(FakeQuantOp::create(
        b, op.getWeight().getLoc(), op.getWeight(), TypeAttr::get(wType)));
    op.getBiasMutable().assign(FakeQuantOp::create(
        b, op.getBias().getLoc(), op.getBias(),
        TypeAttr::get(biasType(op.getContext(), biasScales))));
    return quantizeOutput(op);
  }

  /// Weights quantized by the model (QDQ): kept; a bias the model left in
  /// float gets int32 at s_in * s_w.
  template <typename OpTy>
  LogicalResult keepGivenWeights(OpTy op, FakeQuantOp wFq, double sIn) {
    QParams wq = getQParams(wFq.getQtype());
    if (wq.groupSize || (wq.axis != -1 && wq.axis != 0))
      return op.emitError() << "weights quantized along axis " << wq.axis
                            << "; qc needs one scale per output channel "
                               "(axis 0) or per tensor";
    if (llvm::any_of(wq.zeroPoints, [](int64_t z) { return z != 0; }))
      return op.emitError("weights with a nonzero zero point are not "
                          "supported (symmetric weights only)");
    if (op.getBias().template getDefiningOp<FakeQuantOp>())
      return quantizeOutput(op);
    int64_t outCh = op.getWeight().getType().getDimSize(0);
    SmallVector<double> sB;
    for (int64_t o = 0; o < outCh; ++o)
      sB.push_back(sIn * wq.scales[wq.axis < 0 ? 0 : o]);
    OpBuilder b(op);
    op.getBiasMutable().assign(
        FakeQuantOp::create(b, op.getBias().getLoc(), op.getBias(),
                            TypeAttr::get(biasType(op.getContext(), sB))));
    return quantizeOutput(op);
  }

  template <typename OpTy>
  std::string int4Obstacle(OpTy op, size_t per) {
    if (auto conv = dyn_cast<Conv2DOp>(op.getOperation()))
      if (conv.getGroup() != 1)
        return "grouped / depthwise convolution (one group per channel)";
    if (per < groupSize)
      return std::to_string(per) + " weights per output channel, fewer "
             "than the group size " + std::to_string(groupSize);
    return "";
  }

  /// 4-bit weights, one scale per (output channel, group of input
  /// channels), and the bias at the common accumulator scale of the channel.
  template <typename OpTy>
  LogicalResult annotateGrouped(OpTy op, double sIn, ArrayRef<double> w,
                                ArrayRef<double> bias) {
    MLIRContext *ctx = op.getContext();
    RankedTensorType wTy = op.getWeight().getType();
    int64_t outCh = wTy.getDimSize(0), inCh = wTy.getDimSize(1);
    int64_t per = wTy.getNumElements() / outCh, inner = per / inCh;
    int64_t block = std::min<int64_t>(groupSize, inCh);
    while (inCh % block)
      --block;
    if (block != std::min<int64_t>(groupSize, inCh))
      op.emitRemark() << "4-bit weight groups of " << block
                      << " input channels: " << inCh
                      << " is not a multiple of "
                      << static_cast<unsigned>(groupSize);
    int64_t groups = inCh / block, qmax = 7;
    SmallVector<float> sW;
    SmallVector<double> sB;
    for (int64_t o = 0; o < outCh; ++o) {
      double top = 0;
      for (int64_t g = 0; g < groups; ++g) {
        double m = 0;
        for (int64_t i = g * block * inner; i < (g + 1) * block * inner; ++i)
          m = std::max(m, std::abs(w[o * per + i]));
        sW.push_back(static_cast<float>((m > 0 ? m : 1.0) / qmax));
        top = std::max(top, double(sW.back()));
      }
      // Group accumulators are rescaled to s_in * top / 2^r and summed with
      // the bias: (K * qmax * 255 + |b| / (s_in * top)) * 2^r must fit.
      double need = double(per) * qmax * 255.0 + std::abs(bias[o]) / (sIn * top);
      int r = 16;
      while (r >= 0 && std::ldexp(need, r) + groups > double(INT32_MAX))
        --r;
      if (r < 0)
        return op.emitError() << "output channel " << o
                              << ": bias and accumulator cannot share an "
                                 "int32 at 4-bit weight scales; give this "
                                 "layer 8-bit weights";
      sB.push_back(sIn * top / std::ldexp(1.0, r));
    }
    auto f32 = Float32Type::get(ctx);
    SmallVector<int64_t> scaleShape(wTy.getRank(), 1);
    scaleShape[0] = outCh;
    scaleShape[1] = groups;
    auto scales = DenseElementsAttr::get(RankedTensorType::get(scaleShape, f32),
                                         ArrayRef<float>(sW));
    auto i4 = IntegerType::get(ctx, 4);
    auto zps = DenseElementsAttr::get(RankedTensorType::get(scaleShape, i4),
                                      APInt(4, 0));
    Type wType = quant::UniformQuantizedSubChannelType::get(
        quant::QuantizationFlags::Signed, i4, f32, scales, zps, {0, 1},
        {1, block}, -qmax, qmax);
    return attachWeightAndBias(op, wType, sB);
  }

  /// Same-scale ops share their input's parameters.
  LogicalResult shareInputParams(Operation *op) {
    auto inQ = inputQType(op, op->getOperand(0));
    if (failed(inQ))
      return failure();
    insertFakeQuant(op->getResult(0), *inQ);
    return success();
  }

  /// A model input read only by batch norms: they normalize it in float
  /// before quantization, and their outputs are quantized instead.
  static bool isInputNorm(Value arg) {
    return !arg.use_empty() && llvm::all_of(arg.getUsers(), [](Operation *u) {
      return isa<BatchNormOp>(u);
    });
  }

  LogicalResult annotateOp(Operation *op) {
    if (!isa<arith::ConstantOp, tosa::ConstShapeOp, tosa::ConstOp, FakeQuantOp,
             func::ReturnOp>(op) &&
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
                          storage(fixedType(t.getContext(), 1.0 / 128.0, 0)));
          return success();
        })
        .Case([&](tosa::AddOp a) -> LogicalResult {
          for (Value in : {a.getInput1(), a.getInput2()})
            if (!getConstantF64(in) && failed(inputQType(a, in)))
              return failure();
          if (getConstantF64(a.getInput1()) && getConstantF64(a.getInput2()))
            return a.emitError("an add of two constants is not supported by "
                               "quantization");
          return quantizeOutput(a);
        })
        .Case<tosa::ReshapeOp, tosa::TransposeOp, tosa::SliceOp>(
            [&](Operation *o) { return shareInputParams(o); })
        .Case([&](tosa::MatMulOp m) {
          if (failed(inputQType(m, m.getA())) || failed(inputQType(m, m.getB())))
            return failure();
          return quantizeOrFuseScalar(m);
        })
        .Case([&](tosa::ReduceSumOp r) {
          if (failed(inputQType(r, r.getInput())))
            return failure();
          return quantizeOrFuseScalar(r);
        })
        .Case([&](tosa::MulOp m) -> LogicalResult {
          if (fusedMuls.contains(m))
            return quantizeActivation(m.getOutput(), m);
          Value x = getSplatF64(m.getInput2()) ? m.getInput1() : m.getInput2();
          Value c = x == m.getInput1() ? m.getInput2() : m.getInput1();
          if (!getSplatF64(c) ||
              cast<RankedTensorType>(c.getType()).getNumElements() != 1)
            return m.emitError("only a multiply by a one-element constant is "
                               "supported by quantization");
          if (failed(inputQType(m, x)))
            return failure();
          return quantizeActivation(m.getOutput(), m);
        })
        .Case<SoftmaxOp, GeluOp, LayerNormOp>([&](Operation *o) -> LogicalResult {
          if (nonlinear == "float")
            return keepFloat(o);
          if (failed(inputQType(o, o->getOperand(0))))
            return failure();
          if (isa<SoftmaxOp>(o)) { // i-softmax writes 2^-8 units
            insertFakeQuant(o->getResult(0),
                            storage(fixedType(o->getContext(), 1.0 / 256, -128)));
            return success();
          }
          return quantizeActivation(o->getResult(0), o);
        })
        .Case([&](BatchNormOp bn) -> LogicalResult {
          if (isa<BlockArgument>(bn.getInput()))
            return keepFloat(bn);
          return bn.emitError("batch norm was not folded (run "
                              "--qc-fold-batchnorm; it needs a conv or gemm "
                              "neighbour) and cannot be quantized alone");
        })
        .Case<arith::ConstantOp, tosa::ConstShapeOp, tosa::ConstOp, FakeQuantOp,
              func::ReturnOp>(
            [](Operation *) { return success(); })
        .Default([](Operation *o) {
          return o->emitError() << "op '" << o->getName()
                                << "' is not supported by quantization";
        });
  }

  LogicalResult annotate() {
    func::FuncOp f = getOperation();
    for (BlockArgument arg : f.getArguments())
      if (isa<RankedTensorType>(arg.getType()) && !isInputNorm(arg) &&
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
