//===- FakeToReal.cpp - fake-quantized float ops to integer ops -----------===//
#include "qc/Dialect/QC/IR/QCDialect.h"
#include "qc/Support/FixedPoint.h"
#include "qc/Transforms/Passes.h"
#include "llvm/ADT/TypeSwitch.h"
#include "qc/Transforms/QuantParams.h"
#include "qc/Transforms/Utils.h"

#include <cmath>

namespace qc {
#define GEN_PASS_DEF_QCFAKETOREAL
#include "qc/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;

namespace {

/// An integer tensor standing for a fake-quantized float value.
struct IntVal {
  Value v;
  Type qtype;
  QParams q;
};

RankedTensorType withElement(Value v, Type elt) {
  return cast<RankedTensorType>(v.getType()).clone(elt);
}

struct FakeToRealPass : public qc::impl::QCFakeToRealBase<FakeToRealPass> {
  void runOnOperation() override {
    if (failed(convert()) || failed(checkIntegerOnly()))
      signalPassFailure();
  }

private:
  DenseMap<Value, IntVal> intOf;

  Type i8() { return IntegerType::get(&getContext(), 8); }
  Type i32() { return IntegerType::get(&getContext(), 32); }

  FailureOr<IntVal> lookup(Operation *op, Value v) {
    auto it = intOf.find(v);
    if (it == intOf.end())
      return op->emitError() << "input '" << getTensorName(v)
                             << "' is not quantized (run --qc-annotate)";
    return it->second;
  }

  /// The fake quant that quantizes `r`, possibly through one fused clamp.
  FailureOr<FakeQuantOp> outputFakeQuant(Operation *op, Value r,
                                         tosa::ClampOp &clamp) {
    clamp = nullptr;
    if (r.hasOneUse())
      if (auto c = dyn_cast<tosa::ClampOp>(*r.user_begin())) {
        clamp = c;
        r = c.getOutput();
      }
    if (r.hasOneUse())
      if (auto fq = dyn_cast<FakeQuantOp>(*r.user_begin()))
        return fq;
    return op->emitError("output of this op is not quantized (run "
                         "--qc-annotate)");
  }

  void record(FakeQuantOp fq, Value v) {
    Type t = signedStorage(fq.getQtype());
    intOf[fq] = {v, t, getQParams(t)};
  }

  Value requantize(OpBuilder &b, Location loc, Value in, int64_t inZp,
                   ArrayRef<double> scale, int64_t axis, int64_t outZp,
                   Type outElt) {
    unsigned w = outElt.getIntOrFloatBitWidth();
    int64_t lo = -(int64_t(1) << (w - 1)), hi = (int64_t(1) << (w - 1)) - 1;
    return RequantizeOp::create(
        b, loc, withElement(in, outElt), in, b.getI32IntegerAttr(inZp),
        b.getI32IntegerAttr(outZp), b.getI64IntegerAttr(axis),
        b.getI32IntegerAttr(lo), b.getI32IntegerAttr(hi),
        b.getDenseF64ArrayAttr(scale), nullptr, nullptr);
  }

  /// An integer clamp with the float bounds quantized by `q` (RNE, as the
  /// quantize op rounds).
  Value intClamp(OpBuilder &b, tosa::ClampOp c, Value in, const QParams &q) {
    auto bound = [&](Attribute a) {
      float f = cast<FloatAttr>(a).getValue().convertToFloat();
      return quantizeRNE(f, q.scale(), q.zp(), q.qmin, q.qmax);
    };
    return tosa::ClampOp::create(
        b, c.getLoc(), in.getType(), in,
        b.getIntegerAttr(i8(), bound(c.getMinValAttr())),
        b.getIntegerAttr(i8(), bound(c.getMaxValAttr())),
        c.getNanModeAttr());
  }

  /// Requantize an i8 value to other parameters when they differ.
  Value rescaleTo(OpBuilder &b, Location loc, const IntVal &in,
                  const QParams &to) {
    if (in.q.scale() == to.scale() && in.q.zp() == to.zp())
      return in.v;
    return requantize(b, loc, in.v, in.q.zp(), {in.q.scale() / to.scale()}, -1,
                      to.zp(), i8());
  }

  /// Requantize an accumulator to the output fake quant, then the fused
  /// clamp if any.
  void finishOutput(OpBuilder &b, Location loc, Value acc,
                    ArrayRef<double> scale, int64_t axis, FakeQuantOp outFq,
                    tosa::ClampOp clamp) {
    QParams out = getQParams(outFq.getQtype());
    SmallVector<double> s;
    for (double v : scale)
      s.push_back(v / out.scale());
    Value r = requantize(b, loc, acc, 0, s, axis, out.zp(), i8());
    if (clamp)
      r = intClamp(b, clamp, r, out);
    record(outFq, r);
  }

  /// Proves that no int32 accumulator of the layer can overflow: per output
  /// channel, sum(|w|) * max|x - zp| + |bias| must fit int32. The bound uses
  /// the actual integer weights, so it is exact for the worst input.
  LogicalResult checkAccumulator(Operation *op, ArrayRef<int64_t> w,
                                 ArrayRef<int64_t> bias, size_t outCh,
                                 const QParams &in) {
    int64_t xMax = std::max(in.zp() - in.qmin, in.qmax - in.zp());
    size_t per = w.size() / outCh;
    for (size_t o = 0; o < outCh; ++o) {
      int64_t sum = 0;
      for (size_t i = 0; i < per; ++i)
        sum += std::abs(w[o * per + i]);
      int64_t bound = sum * xMax + std::abs(bias[o]);
      if (bound > INT32_MAX)
        return op->emitError()
               << "int32 accumulator may overflow in output channel " << o
               << ": worst case |acc| = " << bound << " > 2^31 - 1 (K = " << per
               << ", sum |w| = " << sum << ", max |x - zp| = " << xMax << ")";
    }
    return success();
  }

  int64_t quantizeBias(Operation *op, double bias, double sb, size_t o) {
    double qb = std::nearbyint(bias / sb);
    if (qb < INT32_MIN || qb > INT32_MAX) {
      op->emitWarning() << "bias of channel " << o
                        << " saturates int32 at scale " << sb;
      qb = std::clamp<double>(qb, INT32_MIN, INT32_MAX);
    }
    return static_cast<int64_t>(qb);
  }

  /// Blockwise (4-bit) weights: one conv / gemm per group of input
  /// channels, each i32 accumulator rescaled per channel to the bias scale
  /// s_b[o] (ratio s_in * s_w[o, g] / s_b[o] <= 2^16, chosen by
  /// --qc-annotate), summed with tosa.add, plus the bias, then requantized
  /// as usual. The worst case of the sum (each rescale rounds by at most
  /// 1/2) is proven to fit int32.
  template <typename OpTy>
  LogicalResult convertGrouped(OpTy op, const IntVal &in, FakeQuantOp wFq,
                               const QParams &bq, ArrayRef<double> w,
                               ArrayRef<double> bias, FakeQuantOp outFq,
                               tosa::ClampOp clamp) {
    if (auto conv = dyn_cast<Conv2DOp>(op.getOperation()))
      if (conv.getGroup() != 1)
        return op.emitError("blockwise weights need an ungrouped convolution");
    QParams wq = getQParams(wFq.getQtype());
    RankedTensorType wTy = op.getWeight().getType();
    int64_t outCh = wTy.getDimSize(0), inCh = wTy.getDimSize(1);
    int64_t per = wTy.getNumElements() / outCh, inner = per / inCh;
    int64_t block = wq.groupSize, groups = inCh / block;
    int64_t xMax = std::max(in.q.zp() - in.q.qmin, in.q.qmax - in.q.zp());
    SmallVector<SmallVector<int64_t>> wInt(groups);
    SmallVector<SmallVector<double>> ratio(groups);
    SmallVector<int64_t> bInt;
    for (int64_t o = 0; o < outCh; ++o) {
      double sb = bq.scales[o];
      bInt.push_back(quantizeBias(op, bias[o], sb, o));
      double bound = std::abs(bInt.back());
      for (int64_t g = 0; g < groups; ++g) {
        double sw = wq.scales[o * groups + g];
        int64_t sum = 0;
        for (int64_t i = g * block * inner; i < (g + 1) * block * inner; ++i) {
          wInt[g].push_back(
              quantizeRNE(w[o * per + i], sw, 0, wq.qmin, wq.qmax));
          sum += std::abs(wInt[g].back());
        }
        ratio[g].push_back(in.q.scale() * sw / sb);
        bound += double(sum) * xMax * ratio[g].back() + 0.5;
      }
      if (bound > INT32_MAX)
        return op.emitError()
               << "int32 accumulator may overflow in output channel " << o
               << ": worst case |sum of rescaled groups + bias| = " << bound
               << " > 2^31 - 1";
    }
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto inTy = cast<RankedTensorType>(in.v.getType());
    auto accTy = withElement(op.getOutput(), i32());
    SmallVector<int64_t> wShape(wTy.getShape()), sliceShape(inTy.getShape());
    wShape[1] = sliceShape[1] = block;
    SmallVector<OpFoldResult> offsets(inTy.getRank(), b.getIndexAttr(0)),
        sizes, strides(inTy.getRank(), b.getIndexAttr(1));
    for (int64_t d : sliceShape)
      sizes.push_back(b.getIndexAttr(d));
    Value zeroBias = createConstant(b, loc, withElement(op.getBias(), i32()),
                                    SmallVector<int64_t>(outCh, 0));
    Value total;
    for (int64_t g = 0; g < groups; ++g) {
      offsets[1] = b.getIndexAttr(g * block);
      Value x = tensor::ExtractSliceOp::create(
          b, loc, RankedTensorType::get(sliceShape, i8()), in.v, offsets, sizes,
          strides);
      Value wc = createConstant(b, wFq.getLoc(),
                                RankedTensorType::get(wShape, i8()), wInt[g]);
      wc.getDefiningOp()->setAttr("qc.bits", b.getI64IntegerAttr(wq.bits));
      auto acc = OpTy::create(b, loc, TypeRange{accTy},
                              ValueRange{x, wc, zeroBias}, op->getAttrs());
      acc.setInputZpAttr(b.getI32IntegerAttr(in.q.zp()));
      acc.setWeightZpAttr(b.getI32IntegerAttr(0));
      Value r = requantize(b, loc, acc, 0, ratio[g], 1, 0, i32());
      total = total ? tosa::AddOp::create(b, loc, accTy, total, r) : r;
    }
    if (llvm::any_of(bInt, [](int64_t v) { return v != 0; })) {
      SmallVector<int64_t> bShape(accTy.getRank(), 1);
      bShape[1] = outCh;
      Value bc = createConstant(b, op.getBias().getLoc(),
                                RankedTensorType::get(bShape, i32()), bInt);
      total = tosa::AddOp::create(b, loc, accTy, total, bc);
    }
    finishOutput(b, loc, total, bq.scales, 1, outFq, clamp);
    return success();
  }

  template <typename OpTy>
  LogicalResult convertMac(OpTy op) {
    auto in = lookup(op, op.getInput());
    auto wFq = op.getWeight().template getDefiningOp<FakeQuantOp>();
    auto bFq = op.getBias().template getDefiningOp<FakeQuantOp>();
    if (failed(in))
      return failure();
    if (!wFq || !bFq)
      return op.emitError("weight and bias are not quantized");
    auto w = getConstantF64(wFq.getInput());
    auto bias = getConstantF64(bFq.getInput());
    if (!w || !bias)
      return op.emitError("weight and bias must be constant");
    tosa::ClampOp clamp;
    auto outFq = outputFakeQuant(op, op.getOutput(), clamp);
    if (failed(outFq))
      return failure();
    QParams wq = getQParams(wFq.getQtype()), bq = getQParams(bFq.getQtype());
    if (bq.bits != 32)
      return op.emitError("bias must be quantized to int32");
    if (wq.groupSize)
      return convertGrouped(op, *in, wFq, bq, *w, *bias, *outFq, clamp);
    size_t outCh = bias->size(), per = w->size() / outCh;
    SmallVector<int64_t> wInt, bInt;
    SmallVector<double> accScale;
    for (size_t o = 0; o < outCh; ++o) {
      double sw = wq.scales[wq.axis < 0 ? 0 : o];
      for (size_t i = 0; i < per; ++i)
        wInt.push_back(quantizeRNE((*w)[o * per + i], sw, 0, wq.qmin, wq.qmax));
      // The bias joins the accumulator, so it is quantized at its scale
      // (the bias type's own scale when qc chose it; a QDQ model's may be
      // rounded to float32).
      bInt.push_back(quantizeBias(op, (*bias)[o], in->q.scale() * sw, o));
      accScale.push_back(in->q.scale() * sw);
    }
    if (failed(checkAccumulator(op, wInt, bInt, outCh, in->q)))
      return failure();
    OpBuilder b(op);
    Location loc = op.getLoc();
    Value wc = createConstant(b, wFq.getLoc(),
                              withElement(op.getWeight(), i8()), wInt);
    Value bc = createConstant(b, bFq.getLoc(),
                              withElement(op.getBias(), i32()), bInt);
    auto acc = OpTy::create(b, loc, TypeRange{withElement(op.getOutput(), i32())},
                            ValueRange{in->v, wc, bc}, op->getAttrs());
    acc.setInputZpAttr(b.getI32IntegerAttr(in->q.zp()));
    acc.setWeightZpAttr(b.getI32IntegerAttr(0));
    finishOutput(b, loc, acc, accScale, 1, *outFq, clamp);
    return success();
  }

  /// Ops that run unchanged on i8 with their input's parameters.
  LogicalResult convertSameScale(Operation *op) {
    auto in = lookup(op, op->getOperand(0));
    if (failed(in))
      return failure();
    OpBuilder b(op);
    Operation *clone = b.clone(*op);
    clone->setOperand(0, in->v);
    clone->getResult(0).setType(withElement(op->getResult(0), i8()));
    Value r = clone->getResult(0);
    if (auto c = dyn_cast<tosa::ClampOp>(op)) {
      clone->erase();
      r = intClamp(b, c, in->v, in->q);
    }
    tosa::ClampOp fused;
    auto outFq = outputFakeQuant(op, op->getResult(0), fused);
    if (failed(outFq))
      return failure();
    IntVal produced{r, in->qtype, in->q};
    record(*outFq, rescaleTo(b, op->getLoc(), produced,
                             getQParams(outFq->getQtype())));
    return success();
  }

  LogicalResult convertAvgPool(AvgPool2DOp op) {
    auto in = lookup(op, op.getInput());
    if (failed(in))
      return failure();
    if (!op.getCountIncludePad() && llvm::any_of(op.getPads(), [](int64_t p) {
          return p != 0;
        }))
      return op.emitError("integer average pooling with padding and "
                          "count_include_pad = 0 is not supported");
    tosa::ClampOp clamp;
    auto outFq = outputFakeQuant(op, op.getOutput(), clamp);
    if (failed(outFq))
      return failure();
    OpBuilder b(op);
    auto sum = SumPool2DOp::create(
        b, op.getLoc(), withElement(op.getOutput(), i32()), in->v,
        op.getKernelAttr(), op.getStridesAttr(), op.getPadsAttr(),
        b.getI32IntegerAttr(in->q.zp()));
    double count = op.getKernel()[0] * op.getKernel()[1];
    finishOutput(b, op.getLoc(), sum, {in->q.scale() / count}, -1, *outFq,
                 clamp);
    return success();
  }

  LogicalResult convertTanh(tosa::TanhOp op) {
    auto in = lookup(op, op.getInput());
    tosa::ClampOp clamp;
    auto outFq = outputFakeQuant(op, op.getOutput(), clamp);
    if (failed(in) || failed(outFq))
      return failure();
    if (clamp)
      return op.emitError("a clamp after tanh is not supported");
    QParams out = getQParams(outFq->getQtype());
    SmallVector<int64_t> table;
    for (int v = -128; v <= 127; ++v) {
      float x = static_cast<float>(in->q.scale()) *
                static_cast<float>(v - in->q.zp());
      table.push_back(quantizeRNE(std::tanh(x), out.scale(), out.zp(), -128,
                                  127));
    }
    OpBuilder b(op);
    Value t = createConstant(
        b, op.getLoc(), RankedTensorType::get({256}, i8()), table);
    Value r = tosa::TableOp::create(b, op.getLoc(),
                                    withElement(op.getOutput(), i8()), in->v, t);
    record(*outFq, r);
    return success();
  }

  LogicalResult convertAdd(tosa::AddOp op) {
    auto a = lookup(op, op.getInput1());
    auto c = lookup(op, op.getInput2());
    if (failed(a) || failed(c))
      return failure();
    tosa::ClampOp clamp;
    auto outFq = outputFakeQuant(op, op.getOutput(), clamp);
    if (failed(outFq))
      return failure();
    // Common int32 scale with 20 bits of headroom (as TFLite's add).
    double si = 2 * std::max(a->q.scale(), c->q.scale()) / double(1 << 20);
    OpBuilder b(op);
    Location loc = op.getLoc();
    Value ra = requantize(b, loc, a->v, a->q.zp(), {a->q.scale() / si}, -1, 0,
                          i32());
    Value rc = requantize(b, loc, c->v, c->q.zp(), {c->q.scale() / si}, -1, 0,
                          i32());
    Value sum = tosa::AddOp::create(b, loc, withElement(op.getOutput(), i32()),
                                    ra, rc);
    finishOutput(b, loc, sum, {si}, -1, *outFq, clamp);
    return success();
  }

  /// An op kept in float: dequantize its quantized inputs, quantize its
  /// output for the fake quant that follows it.
  LogicalResult keepFloat(Operation *op) {
    OpBuilder b(op);
    for (OpOperand &use : op->getOpOperands()) {
      auto it = intOf.find(use.get());
      if (it != intOf.end())
        use.set(DequantizeOp::create(b, op->getLoc(), use.get().getType(),
                                     it->second.v,
                                     TypeAttr::get(it->second.qtype)));
    }
    Value r = op->getResult(0);
    b.setInsertionPointAfter(op);
    for (Operation *user : r.getUsers())
      if (auto fq = dyn_cast<FakeQuantOp>(user)) {
        auto q = QuantizeOp::create(b, fq.getLoc(), withElement(r, i8()), r,
                                    TypeAttr::get(signedStorage(fq.getQtype())));
        record(fq, q);
      }
    return success();
  }

  LogicalResult convertOp(Operation *op) {
    if (op->hasAttr("qc.float"))
      return keepFloat(op);
    return TypeSwitch<Operation *, LogicalResult>(op)
        .Case([&](FakeQuantOp fq) {
          if (auto arg = dyn_cast<BlockArgument>(fq.getInput())) {
            OpBuilder b(fq);
            auto q = QuantizeOp::create(b, fq.getLoc(),
                                        withElement(arg, i8()), arg,
                                        TypeAttr::get(signedStorage(fq.getQtype())));
            record(fq, q);
          }
          return success(); // others are consumed by their neighbours
        })
        .Case<Conv2DOp, GemmOp>([&](auto mac) { return convertMac(mac); })
        .Case<MaxPool2DOp, tensor::CollapseShapeOp, tensor::ExpandShapeOp>(
            [&](Operation *o) { return convertSameScale(o); })
        .Case([&](tosa::ClampOp c) {
          // A clamp fused into its producer was handled there.
          Operation *def = c.getInput().getDefiningOp();
          if (def && isa<Conv2DOp, GemmOp, tosa::AddOp, AvgPool2DOp>(def))
            return success();
          return convertSameScale(c);
        })
        .Case([&](AvgPool2DOp p) { return convertAvgPool(p); })
        .Case([&](tosa::TanhOp t) { return convertTanh(t); })
        .Case([&](tosa::AddOp a) { return convertAdd(a); })
        .Case<arith::ConstantOp, func::ReturnOp>(
            [](Operation *) { return success(); })
        .Default([](Operation *o) {
          return o->emitError() << "cannot convert '" << o->getName()
                                << "' to integer arithmetic";
        });
  }

  LogicalResult convert() {
    func::FuncOp f = getOperation();
    SmallVector<Operation *> ops;
    for (Operation &op : f.getBody().front())
      ops.push_back(&op);
    for (Operation *op : ops)
      if (failed(convertOp(op)))
        return failure();
    Operation *ret = f.getBody().front().getTerminator();
    OpBuilder b(ret);
    for (OpOperand &use : ret->getOpOperands()) {
      auto it = intOf.find(use.get());
      if (it == intOf.end())
        return ret->emitError() << "result " << use.getOperandNumber()
                                << " is not quantized";
      use.set(DequantizeOp::create(b, ret->getLoc(), use.get().getType(),
                                   it->second.v,
                                   TypeAttr::get(it->second.qtype)));
    }
    for (Operation *op : llvm::reverse(ops)) {
      if (isa<func::ReturnOp>(op) || op->hasAttr("qc.float"))
        continue;
      if (op->use_empty()) {
        op->erase();
        continue;
      }
      bool feedsFloatIsland = llvm::all_of(op->getUsers(), [](Operation *u) {
        return u->hasAttr("qc.float") || isa<QuantizeOp>(u);
      });
      if (!isa<arith::ConstantOp>(op) || !feedsFloatIsland)
        return op->emitError("internal error: float op still used after "
                             "conversion");
    }
    return success();
  }

  /// Nothing between the input quantize and the output dequantize may be
  /// floating point.
  LogicalResult checkIntegerOnly() {
    WalkResult r = getOperation().walk([](Operation *op) {
      if (isa<QuantizeOp, DequantizeOp, func::FuncOp, func::ReturnOp>(op) ||
          op->hasAttr("qc.float"))
        return WalkResult::advance();
      if (auto c = dyn_cast<arith::ConstantOp>(op))
        if (llvm::all_of(c->getUsers(),
                         [](Operation *u) { return u->hasAttr("qc.float"); }))
          return WalkResult::advance(); // weights of an op kept in float
      auto isFloat = [](Type t) {
        return isa<FloatType>(getElementTypeOrSelf(t));
      };
      if (llvm::any_of(op->getOperandTypes(), isFloat) ||
          llvm::any_of(op->getResultTypes(), isFloat)) {
        op->emitError("floating point remains after fake-to-real");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    return failure(r.wasInterrupted());
  }
};

} // namespace
