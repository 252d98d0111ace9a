//===- FakeToReal.cpp - fake-quantized float ops to integer ops -----------===//
#include "qc/Dialect/QC/IR/QCDialect.h"
#include "qc/Support/FixedPoint.h"
#include "qc/Support/IntegerKernels.h"
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
  using Base::Base;

  void runOnOperation() override {
    intOf.clear();
    if ((integerOnly && failed(checkNoFloatIslands())) || failed(convert()) ||
        failed(checkIntegerOnly()))
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

  /// The element type holding values of `q`: i8, or i32 for 16-bit types.
  Type storageElt(const QParams &q) { return q.bits <= 8 ? i8() : i32(); }

  /// Requantize to the parameters (and storage) of `to`.
  Value requantizeTo(OpBuilder &b, Location loc, Value in, int64_t inZp,
                     ArrayRef<double> scale, int64_t axis, const QParams &to) {
    return RequantizeOp::create(
        b, loc, withElement(in, storageElt(to)), in, b.getI32IntegerAttr(inZp),
        b.getI32IntegerAttr(to.zp()), b.getI64IntegerAttr(axis),
        b.getI32IntegerAttr(to.qmin), b.getI32IntegerAttr(to.qmax),
        b.getDenseF64ArrayAttr(scale), nullptr, nullptr);
  }

  /// `x - zp` in int32 (the kernels' input).
  Value toI32(OpBuilder &b, Location loc, const IntVal &x) {
    if (x.q.zp() == 0 && getElementTypeOrSelf(x.v.getType()) == i32())
      return x.v;
    return requantize(b, loc, x.v, x.q.zp(), {1.0}, -1, 0, i32());
  }

  /// Largest |x - zp| of a value.
  static int64_t maxAbs(const QParams &q) {
    return std::max(q.zp() - q.qmin, q.qmax - q.zp());
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
    if (in.q.scale() == to.scale() && in.q.zp() == to.zp() &&
        in.q.bits == to.bits)
      return in.v;
    return requantizeTo(b, loc, in.v, in.q.zp(), {in.q.scale() / to.scale()},
                        -1, to);
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
    Value r = requantizeTo(b, loc, acc, 0, s, axis, out);
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
    clone->getResult(0).setType(
        withElement(op->getResult(0), getElementTypeOrSelf(in->v.getType())));
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

  /// An elementwise function of an 8-bit input as a 256-entry table,
  /// exact to one rounding (integer-spec.md 6.4).
  LogicalResult convertTable(Operation *op, const IntVal &in, FakeQuantOp outFq,
                             tosa::ClampOp clamp,
                             function_ref<double(double)> fn) {
    if (clamp)
      return op->emitError("a clamp after this op is not supported");
    QParams out = getQParams(outFq.getQtype());
    SmallVector<int64_t> table;
    for (int v = -128; v <= 127; ++v) {
      float x = static_cast<float>(in.q.scale()) *
                static_cast<float>(v - in.q.zp());
      table.push_back(quantizeRNE(static_cast<float>(fn(x)), out.scale(),
                                  out.zp(), -128, 127));
    }
    OpBuilder b(op);
    Value t = createConstant(
        b, op->getLoc(), RankedTensorType::get({256}, i8()), table);
    Value r = tosa::TableOp::create(
        b, op->getLoc(), withElement(op->getResult(0), i8()), in.v, t);
    record(outFq, r);
    return success();
  }

  LogicalResult convertTanh(tosa::TanhOp op) {
    auto in = lookup(op, op.getInput());
    tosa::ClampOp clamp;
    auto outFq = outputFakeQuant(op, op.getOutput(), clamp);
    if (failed(in) || failed(outFq))
      return failure();
    return convertTable(op, *in, *outFq, clamp,
                        [](double x) { return double(std::tanh(float(x))); });
  }

  LogicalResult convertAdd(tosa::AddOp op) {
    Value act = op.getInput1(), other = op.getInput2();
    if (getConstantF64(act))
      std::swap(act, other);
    auto cst = getConstantF64(other);
    auto a = lookup(op, act);
    if (failed(a))
      return failure();
    FailureOr<IntVal> c = cst ? *a : lookup(op, other);
    if (failed(c))
      return failure();
    tosa::ClampOp clamp;
    auto outFq = outputFakeQuant(op, op.getOutput(), clamp);
    if (failed(outFq))
      return failure();
    // Common int32 scale with 28 - bits of headroom (20 for int8, as
    // TFLite's add): each rescaled input stays below 2^27.
    unsigned bits = std::max(a->q.bits, c->q.bits);
    double si = 2 * std::max(a->q.scale(), c->q.scale()) /
                std::ldexp(1.0, 28 - int(bits));
    OpBuilder b(op);
    Location loc = op.getLoc();
    Value ra = requantize(b, loc, a->v, a->q.zp(), {a->q.scale() / si}, -1, 0,
                          i32());
    Value rc;
    if (cst) { // the constant joins at the common scale directly
      SmallVector<int64_t> q;
      for (double v : *cst) {
        double r = std::nearbyint(v / si);
        if (std::abs(r) > double(1 << 27))
          return op.emitError() << "constant operand " << v
                                << " is too large for the int32 sum at scale "
                                << si;
        q.push_back(int64_t(r));
      }
      rc = createConstant(b, loc, withElement(other, i32()), q);
    } else {
      rc = requantize(b, loc, c->v, c->q.zp(), {c->q.scale() / si}, -1, 0,
                      i32());
    }
    Value sum = tosa::AddOp::create(b, loc, withElement(op.getOutput(), i32()),
                                    ra, rc);
    finishOutput(b, loc, sum, {si}, -1, *outFq, clamp);
    return success();
  }

  /// The output fake quant of a matmul / reduce_sum, after the scalar
  /// multiply fused into it if any; `factor` gets the multiplier.
  FailureOr<FakeQuantOp> scaledOutput(Operation *op, double &factor,
                                      tosa::ClampOp &clamp) {
    factor = 1.0;
    Value r = op->getResult(0);
    if (auto fused = getFusedScalarMul(r)) {
      factor = fused->second;
      if (!(factor > 0))
        return op->emitError() << "a multiply by " << factor
                               << " after this op cannot fold into its "
                                  "requantize (factor must be > 0)";
      r = fused->first->getResult(0);
    }
    return outputFakeQuant(op, r, clamp);
  }

  /// Matmul of two int8 activations with zero points: tosa.matmul
  /// i8 x i8 -> i32, then a requantize by s_a * s_b * factor.
  LogicalResult convertMatMul(tosa::MatMulOp op) {
    auto a = lookup(op, op.getA());
    auto c = lookup(op, op.getB());
    if (failed(a) || failed(c))
      return failure();
    if (a->q.bits > 8 || c->q.bits > 8)
      return op.emitError("matmul operands must be 8-bit");
    double factor;
    tosa::ClampOp clamp;
    auto outFq = scaledOutput(op, factor, clamp);
    if (failed(outFq))
      return failure();
    int64_t k = op.getA().getType().getDimSize(2);
    int64_t bound = k * maxAbs(a->q) * maxAbs(c->q);
    if (bound > INT32_MAX)
      return op.emitError() << "int32 accumulator may overflow: K = " << k
                            << " times max |a - zp| * |b - zp| = " << bound
                            << " > 2^31 - 1";
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto zpTy = RankedTensorType::get({1}, i8());
    Value az = createConstant(b, loc, zpTy, SmallVector<int64_t>{a->q.zp()});
    Value cz = createConstant(b, loc, zpTy, SmallVector<int64_t>{c->q.zp()});
    Value acc = tosa::MatMulOp::create(b, loc, withElement(op.getOutput(), i32()),
                                       a->v, c->v, az, cz);
    finishOutput(b, loc, acc, {a->q.scale() * c->q.scale() * factor}, -1,
                 *outFq, clamp);
    return success();
  }

  /// Sum over an axis of x - zp in int32, requantized by s_in * factor.
  LogicalResult convertReduceSum(tosa::ReduceSumOp op) {
    auto x = lookup(op, op.getInput());
    if (failed(x))
      return failure();
    double factor;
    tosa::ClampOp clamp;
    auto outFq = scaledOutput(op, factor, clamp);
    if (failed(outFq))
      return failure();
    int64_t n = op.getInput().getType().getDimSize(op.getAxis());
    if (n * maxAbs(x->q) > INT32_MAX)
      return op.emitError("int32 sum may overflow");
    OpBuilder b(op);
    Location loc = op.getLoc();
    Value sum = tosa::ReduceSumOp::create(b, loc,
                                          withElement(op.getOutput(), i32()),
                                          toI32(b, loc, *x), op.getAxisAttr());
    finishOutput(b, loc, sum, {x->q.scale() * factor}, -1, *outFq, clamp);
    return success();
  }

  /// A multiply by a positive one-element constant: a requantize.
  LogicalResult convertScalarMul(tosa::MulOp op) {
    Value x = getSplatF64(op.getInput2()) ? op.getInput1() : op.getInput2();
    Value c = x == op.getInput1() ? op.getInput2() : op.getInput1();
    auto in = lookup(op, x);
    auto factor = getSplatF64(c);
    if (failed(in))
      return failure();
    if (!factor || !(*factor > 0))
      return op.emitError("only a multiply by a positive constant converts to "
                          "integer arithmetic");
    tosa::ClampOp clamp;
    auto outFq = outputFakeQuant(op, op.getOutput(), clamp);
    if (failed(outFq))
      return failure();
    OpBuilder b(op);
    finishOutput(b, op.getLoc(), toI32(b, op.getLoc(), *in),
                 {in->q.scale() * *factor}, -1, *outFq, clamp);
    return success();
  }

  /// i-softmax: constants from the input scale, output at 2^-8.
  LogicalResult convertSoftmax(SoftmaxOp op) {
    auto x = lookup(op, op.getInput());
    tosa::ClampOp clamp;
    auto outFq = outputFakeQuant(op, op.getOutput(), clamp);
    if (failed(x) || failed(outFq))
      return failure();
    QParams out = getQParams(outFq->getQtype());
    if (clamp || out.scale() != 1.0 / 256 || out.bits != 8)
      return op.emitError("integer softmax writes scale 1/256 (8 bits) "
                          "without a clamp after it");
    ISoftmax k(x->q.scale(), 1.0 / 32767);
    if (k.exp.cInt >= (int64_t(1) << 33) || k.shift < 1)
      return op.emitError() << "input scale " << x->q.scale()
                            << " is too small for i-exp (needs >= 2^-15)";
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto r = ISoftmaxOp::create(
        b, loc, withElement(op.getOutput(), i8()), toI32(b, loc, *x),
        k.exp.x0, k.exp.bInt, k.exp.cInt, k.preShift, k.multiplier, k.shift,
        int32_t(out.zp()));
    record(*outFq, r);
    return success();
  }

  /// i-GELU on a 16-bit input (--qc-annotate nonlinear=ibert), a
  /// 256-entry table on an 8-bit one (nonlinear=lut).
  LogicalResult convertGelu(GeluOp op) {
    auto x = lookup(op, op.getInput());
    tosa::ClampOp clamp;
    auto outFq = outputFakeQuant(op, op.getOutput(), clamp);
    if (failed(x) || failed(outFq))
      return failure();
    bool tanh = op.getApproximate() == "tanh";
    if (x->q.bits <= 8)
      return convertTable(op, *x, *outFq, clamp, [&](double v) {
        double t = tanh ? std::tanh(std::sqrt(2.0 / M_PI) *
                                    (v + 0.044715 * v * v * v))
                        : std::erf(v * M_SQRT1_2);
        return 0.5 * v * (1.0 + t);
      });
    IGelu g(x->q.scale());
    // |y| = |q| * |erf + one| with |erf| <= max(|b^2 + c|, |c|) / 2^14 + 1.
    double erfMax = std::max(std::abs(double(g.bInt) * g.bInt + g.cInt),
                             std::abs(double(g.cInt))) / 16384.0 + 1;
    double bound = double(maxAbs(x->q)) * (std::abs(double(g.one)) + erfMax);
    if (bound > double(INT32_MAX))
      return op.emitError() << "i-GELU product may overflow int32 (bound "
                            << bound << ") at input scale " << x->q.scale();
    OpBuilder b(op);
    Location loc = op.getLoc();
    Value in = toI32(b, loc, *x);
    auto y = IGeluOp::create(b, loc, in.getType(), in, g.bInt, g.cInt, g.one);
    finishOutput(b, loc, y, {-g.outScale}, -1, *outFq, clamp);
    return success();
  }

  /// i-LayerNorm with the affine step and the output requantize folded
  /// into per-channel dyadic constants (see qc.ilayernorm).
  LogicalResult convertLayerNorm(LayerNormOp op) {
    auto x = lookup(op, op.getInput());
    tosa::ClampOp clamp;
    auto outFq = outputFakeQuant(op, op.getOutput(), clamp);
    if (failed(x) || failed(outFq))
      return failure();
    auto gamma = getConstantF64(op.getScale()), beta = getConstantF64(op.getBias());
    QParams out = getQParams(outFq->getQtype());
    if (!gamma || !beta)
      return op.emitError("layer norm scale and bias must be constant");
    if (clamp || out.bits > 8)
      return op.emitError("integer layer norm writes 8 bits without a clamp");
    auto ty = op.getInput().getType();
    int64_t n = ty.getDimSize(ty.getRank() - 1);
    double s = x->q.scale(), eps = op.getEpsilon().convertToDouble();
    // The smallest shift with n * (max |d| >> shift)^2 + eps < 2^32.
    int64_t dMax = 2 * maxAbs(x->q), shift = 0, epsInt = 0;
    for (;; ++shift) {
      epsInt = int64_t(std::nearbyint(n * eps / (s * s * std::ldexp(1.0, 2 * shift))));
      double v = double(n) * double(dMax >> shift) * double(dMax >> shift) + epsInt;
      if (v < 4294967296.0)
        break;
      if (shift == 31)
        return op.emitError("layer norm variance cannot fit 32 bits");
    }
    double sn = std::sqrt(double(n)) / std::ldexp(1.0, 30), top = 0;
    for (double gj : *gamma)
      top = std::max(top, std::abs(gj) * sn / out.scale());
    int64_t k = top > 0 ? 14 - int64_t(std::floor(std::log2(top))) : 1;
    k = std::clamp<int64_t>(k, 1, 62);
    SmallVector<int64_t> g, bt;
    for (;; --k) {
      g.clear(), bt.clear();
      double worst = 0;
      for (int64_t j = 0; j < n; ++j) {
        g.push_back(int64_t(std::nearbyint((*gamma)[j] * sn / out.scale() *
                                           std::ldexp(1.0, k))));
        bt.push_back(int64_t(std::nearbyint((*beta)[j] / out.scale() *
                                            std::ldexp(1.0, k))));
        worst = std::max(worst, double(dMax) * std::ldexp(1.0, 30) *
                                        std::abs(double(g.back())) +
                                    std::abs(double(bt.back())));
      }
      if (worst + std::ldexp(1.0, k) < std::ldexp(1.0, 62))
        break;
      if (k == 1)
        return op.emitError("layer norm affine step cannot fit int64");
    }
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto r = ILayerNormOp::create(b, loc, withElement(op.getOutput(), i8()),
                                  toI32(b, loc, *x), shift, epsInt, k, g, bt,
                                  int32_t(out.zp()));
    record(*outFq, r);
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
        .Case<tosa::ReshapeOp, tosa::TransposeOp, tosa::SliceOp>(
            [&](Operation *o) { return convertSameScale(o); })
        .Case([&](tosa::MatMulOp m) { return convertMatMul(m); })
        .Case([&](tosa::ReduceSumOp r) { return convertReduceSum(r); })
        .Case([&](tosa::MulOp m) {
          // A multiply fused into its matmul / reduce_sum was handled there.
          Operation *def = m.getInput1().getDefiningOp();
          Operation *def2 = m.getInput2().getDefiningOp();
          for (Operation *d : {def, def2})
            if (d && isa<tosa::MatMulOp, tosa::ReduceSumOp>(d) &&
                getFusedScalarMul(d->getResult(0)))
              return success();
          return convertScalarMul(m);
        })
        .Case([&](SoftmaxOp o) { return convertSoftmax(o); })
        .Case([&](GeluOp o) { return convertGelu(o); })
        .Case([&](LayerNormOp o) { return convertLayerNorm(o); })
        .Case<tosa::ConstShapeOp, tosa::ConstOp>(
            [](Operation *) { return success(); })
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
      if (llvm::none_of(op->getResultTypes(), [](Type t) {
            return isa<FloatType>(getElementTypeOrSelf(t));
          }))
        continue; // shapes, integer constants the integer ops still read
      bool feedsFloatIsland = llvm::all_of(op->getUsers(), [](Operation *u) {
        return u->hasAttr("qc.float") || isa<QuantizeOp>(u);
      });
      if (!isa<arith::ConstantOp>(op) || !feedsFloatIsland)
        return op->emitError("internal error: float op still used after "
                             "conversion");
    }
    return success();
  }

  /// integer-only: no op may be kept in float, except a prologue that reads
  /// only the function's arguments and constants.
  LogicalResult checkNoFloatIslands() {
    SmallVector<Operation *> islands;
    getOperation().walk([&](Operation *op) {
      if (!op->hasAttr("qc.float"))
        return;
      bool prologue = llvm::all_of(op->getOperands(), [](Value v) {
        return isa<BlockArgument>(v) || v.getDefiningOp<arith::ConstantOp>();
      });
      if (!prologue)
        islands.push_back(op);
    });
    if (islands.empty())
      return success();
    auto diag = getOperation().emitError()
                << "integer-only: " << islands.size()
                << " op(s) would stay in floating point:";
    for (Operation *op : islands)
      diag << " '" << getTensorName(op->getLoc()) << "' (" << op->getName()
           << ")" << (op == islands.back() ? "" : ",");
    return failure();
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
