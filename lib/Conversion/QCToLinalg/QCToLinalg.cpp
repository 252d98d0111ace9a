//===- QCToLinalg.cpp - integer qc ops to linalg --------------------------===//
#include "qc/Conversion/Passes.h"
#include "GemmVNNI.h"
#include "RowOps.h"
#include "llvm/ADT/TypeSwitch.h"
#include "qc/Dialect/QC/IR/QCDialect.h"
#include "qc/Transforms/QuantParams.h"
#include "qc/Transforms/Utils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"

#include <cmath>
#include <limits>

namespace qc {
#define GEN_PASS_DEF_CONVERTQCTOLINALG
#include "qc/Conversion/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;

namespace {

using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

Value scalarI32(OpBuilder &b, Location loc, int64_t v, unsigned width = 32) {
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(b.getIntegerType(width), v));
}

/// out[i] = body(in[i], chan_0[i[axis]], ...): an elementwise generic, with
/// optional 1-D per-channel operands indexed along `axis`.
Value elementwise(OpBuilder &b, Location loc, Value in, Type outElt,
                  ValueRange perChannel, int64_t axis, BodyFn body) {
  auto inTy = cast<RankedTensorType>(in.getType());
  unsigned rank = inTy.getRank();
  MLIRContext *ctx = b.getContext();
  AffineMap id = b.getMultiDimIdentityMap(rank);
  SmallVector<AffineMap> maps = {id};
  SmallVector<Value> ins = {in};
  for (Value c : perChannel) {
    maps.push_back(AffineMap::get(rank, 0, getAffineDimExpr(axis, ctx)));
    ins.push_back(c);
  }
  maps.push_back(id);
  Value init = tensor::EmptyOp::create(b, loc, inTy.getShape(), outElt);
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto g = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ins, ValueRange{init}, maps, iters,
      "", "", [&](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(nb, nl, body(nb, nl, args.drop_back()));
      });
  return g.getResult(0);
}

/// Pads the spatial dims of an NCHW tensor ([t, l, b, r]) with `value`.
Value padNCHW(OpBuilder &b, Location loc, Value in, ArrayRef<int64_t> pads,
              Attribute value) {
  if (llvm::all_of(pads, [](int64_t p) { return p == 0; }))
    return in;
  auto ty = cast<RankedTensorType>(in.getType());
  SmallVector<int64_t> shape(ty.getShape());
  shape[2] += pads[0] + pads[2];
  shape[3] += pads[1] + pads[3];
  SmallVector<OpFoldResult> low = {b.getIndexAttr(0), b.getIndexAttr(0),
                                   b.getIndexAttr(pads[0]),
                                   b.getIndexAttr(pads[1])};
  SmallVector<OpFoldResult> high = {b.getIndexAttr(0), b.getIndexAttr(0),
                                    b.getIndexAttr(pads[2]),
                                    b.getIndexAttr(pads[3])};
  Value pv = arith::ConstantOp::create(b, loc, cast<TypedAttr>(value));
  return tensor::PadOp::create(b, loc, ty.clone(shape), in, low, high, pv);
}

Value filled(OpBuilder &b, Location loc, RankedTensorType ty, TypedAttr v) {
  Value init = tensor::EmptyOp::create(b, loc, ty.getShape(),
                                       ty.getElementType());
  Value c = arith::ConstantOp::create(b, loc, v);
  return linalg::FillOp::create(b, loc, ValueRange{c}, ValueRange{init})
      .getResult(0);
}

bool isFloat(Value v) {
  return isa<FloatType>(getElementTypeOrSelf(v.getType()));
}

/// Float conv / gemm (ops kept in float): constant weights and bias as
/// doubles, no zero points.
template <typename OpTy>
FailureOr<std::pair<SmallVector<double>, SmallVector<double>>>
floatWeights(OpTy op) {
  auto w = getConstantF64(op.getWeight());
  auto bias = getConstantF64(op.getBias());
  if (!w || !bias)
    return op.emitError("lowering needs constant weight and bias");
  return std::make_pair(std::move(*w), std::move(*bias));
}

/// Integer conv / gemm: constant i8 weights with zero point 0; the input
/// zero point becomes `-izp * sum(w[o])` in the bias, so the hot loop is a
/// plain i8 x i8 -> i32 contraction over input padded with izp.
template <typename OpTy>
FailureOr<std::pair<SmallVector<int64_t>, SmallVector<int64_t>>>
foldZeroPoint(OpTy op) {
  auto w = getConstantI64(op.getWeight());
  auto bias = getConstantI64(op.getBias());
  if (!w || !bias)
    return op.emitError("lowering needs constant weight and bias");
  if (op.getWeightZp().value_or(0) != 0)
    return op.emitError("lowering needs weight zero point 0 (symmetric "
                        "weights)");
  int64_t izp = op.getInputZp().value_or(0);
  size_t outCh = bias->size(), per = w->size() / outCh;
  for (size_t o = 0; o < outCh; ++o) {
    int64_t sum = 0;
    for (size_t i = 0; i < per; ++i)
      sum += (*w)[o * per + i];
    int64_t nb = (*bias)[o] - izp * sum;
    if (nb < INT32_MIN || nb > INT32_MAX)
      return op.emitError() << "bias of channel " << o
                            << " overflows int32 after zero-point folding";
    (*bias)[o] = nb;
  }
  return std::make_pair(std::move(*w), std::move(*bias));
}

template <typename T>
Value biasInit(OpBuilder &b, Location loc, RankedTensorType outTy,
               ArrayRef<T> bias, ArrayRef<int64_t> dims) {
  Value bc = createConstant(
      b, loc,
      RankedTensorType::get({static_cast<int64_t>(bias.size())},
                            outTy.getElementType()),
      bias);
  Value init = tensor::EmptyOp::create(b, loc, outTy.getShape(),
                                       outTy.getElementType());
  return linalg::BroadcastOp::create(b, loc, bc, init, dims).getResult()[0];
}

/// out += x * w as a linalg.generic over `dims` loops with the given maps
/// (x, w, out) and iterators; integer operands widen to the accumulator
/// type. The loop order is the dims order: callers put a contiguous
/// parallel output dimension innermost so that the loop vectorizes.
Value macGeneric(OpBuilder &b, Location loc, Value x, Value w, Value init,
                 unsigned dims, ArrayRef<SmallVector<AffineExpr>> exprs,
                 ArrayRef<utils::IteratorType> iters) {
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (const auto &e : exprs)
    maps.push_back(AffineMap::get(dims, 0, e, ctx));
  Type accTy = cast<RankedTensorType>(init.getType()).getElementType();
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{x, w},
             ValueRange{init}, maps, iters, "", "",
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               Value xv = a[0], wv = a[1], sum;
               if (isa<FloatType>(accTy)) {
                 sum = arith::AddFOp::create(
                     nb, nl, a[2], arith::MulFOp::create(nb, nl, xv, wv));
               } else {
                 xv = arith::ExtSIOp::create(nb, nl, accTy, xv);
                 wv = arith::ExtSIOp::create(nb, nl, accTy, wv);
                 sum = arith::AddIOp::create(
                     nb, nl, a[2], arith::MulIOp::create(nb, nl, xv, wv));
               }
               linalg::YieldOp::create(nb, nl, sum);
             })
      .getResult(0);
}

template <typename T>
LogicalResult lowerConvWith(Conv2DOp op, ArrayRef<T> w, ArrayRef<T> bias,
                            TypedAttr padValue) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto outTy = op.getOutput().getType();
  auto wTy = op.getWeight().getType();
  int64_t c = op.getInput().getType().getDimSize(1), g = op.getGroup();
  Value in = padNCHW(b, loc, op.getInput(), op.getPads(), padValue);
  Value init = biasInit(b, loc, outTy, bias, {0, 2, 3});
  // Loops (n, f, [c,] kh, kw, oh, ow): each output sums over c, kh, kw in
  // the named convolution's order (float results unchanged), and the
  // innermost loop runs along an output row, contiguous, so it vectorizes.
  ArrayRef<int64_t> st = op.getStrides(), dl = op.getDilations();
  MLIRContext *ctx = b.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  using It = utils::IteratorType;
  Value r;
  if (g == 1) {
    Value wc = createConstant(b, loc, wTy, w);
    // n=0 f=1 c=2 kh=3 kw=4 oh=5 ow=6
    SmallVector<AffineExpr> xm = {d(0), d(2), d(5) * st[0] + d(3) * dl[0],
                                  d(6) * st[1] + d(4) * dl[1]};
    r = macGeneric(b, loc, in, wc, init, 7,
                   {xm, {d(1), d(2), d(3), d(4)}, {d(0), d(1), d(5), d(6)}},
                   {It::parallel, It::parallel, It::reduction, It::reduction,
                    It::reduction, It::parallel, It::parallel});
  } else if (g == c && wTy.getDimSize(0) == c) {
    auto chw = RankedTensorType::get(
        {c, wTy.getDimSize(2), wTy.getDimSize(3)}, wTy.getElementType());
    Value wc = createConstant(b, loc, chw, w);
    // n=0 f=1 oh=2 kh=3 kw=4 ow=5: the kh x kw taps of one output row
    // accumulate into that row while it is in L1 (with oh inside kh, kw,
    // each tap swept the whole int32 plane).
    SmallVector<AffineExpr> xm = {d(0), d(1), d(2) * st[0] + d(3) * dl[0],
                                  d(5) * st[1] + d(4) * dl[1]};
    r = macGeneric(b, loc, in, wc, init, 6,
                   {xm, {d(1), d(3), d(4)}, {d(0), d(1), d(2), d(5)}},
                   {It::parallel, It::parallel, It::parallel, It::reduction,
                    It::reduction, It::parallel});
  } else {
    return op.emitError() << "grouped convolution with group " << g
                          << " is not supported (only 1 or depthwise)";
  }
  op.replaceAllUsesWith(r);
  op.erase();
  return success();
}

/// Replaces `op` by `r`, computed by a kernel that also applied `rq`, the
/// requantize after it (null: none); both are erased.
LogicalResult replaceFused(Operation *op, RequantizeOp rq, Value r,
                           llvm::DenseSet<Operation *> &erased) {
  if (rq) {
    rq.replaceAllUsesWith(r);
    erased.insert(rq);
    rq.erase();
  } else {
    op->replaceAllUsesWith(ValueRange{r});
  }
  op->erase();
  return success();
}

/// The dyadic int8 requantize, per tensor or per channel along `axis`, that
/// is `v`'s only user: the VNNI kernel can apply it in its epilogue.
RequantizeOp fusableRequant(Value v, int64_t axis) {
  if (!v.hasOneUse())
    return {};
  auto r = dyn_cast<RequantizeOp>(*v.getUsers().begin());
  if (!r || !r.isDyadic() ||
      !r.getOutput().getType().getElementType().isInteger(8) ||
      (r.getAxis() != axis && r.getMultiplier()->size() != 1))
    return {};
  return r;
}

/// A group-1 int8 conv as im2col (rows = output pixels, columns = (c, kh,
/// kw) windows of the zero-point-padded input) times the weights on the VNNI
/// kernel, then the [pixels][channels] product transposed to NCHW.
LogicalResult lowerConvVNNI(Conv2DOp op, ArrayRef<int64_t> w,
                            ArrayRef<int64_t> bias,
                            llvm::DenseSet<Operation *> &erased, bool sdot) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto outTy = op.getOutput().getType();
  auto wTy = op.getWeight().getType();
  int64_t c = wTy.getDimSize(1), kh = wTy.getDimSize(2), kw = wTy.getDimSize(3);
  int64_t oh = outTy.getDimSize(2), ow = outTy.getDimSize(3);
  int64_t f = outTy.getDimSize(1);
  Value in = padNCHW(b, loc, op.getInput(), op.getPads(),
                     b.getI8IntegerAttr(op.getInputZp().value_or(0)));
  ArrayRef<int64_t> st = op.getStrides(), dl = op.getDilations();
  MLIRContext *ctx = b.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  using It = utils::IteratorType;
  // (oh=0, ow=1, c=2, kh=3, kw=4) -> x[0, c, oh*s + kh*d, ow*s + kw*d]
  auto colTy = RankedTensorType::get({oh, ow, c, kh, kw}, b.getI8Type());
  Value empty = tensor::EmptyOp::create(b, loc, colTy.getShape(), b.getI8Type());
  SmallVector<AffineMap> maps = {
      AffineMap::get(5, 0,
                     {getAffineConstantExpr(0, ctx), d(2),
                      d(0) * st[0] + d(3) * dl[0], d(1) * st[1] + d(4) * dl[1]},
                     ctx),
      AffineMap::getMultiDimIdentityMap(5, ctx)};
  Value cols =
      linalg::GenericOp::create(
          b, loc, TypeRange{colTy}, ValueRange{in}, ValueRange{empty}, maps,
          SmallVector<It>(5, It::parallel), "", "",
          [](OpBuilder &nb, Location nl, ValueRange a) {
            linalg::YieldOp::create(nb, nl, a[0]);
          })
          .getResult(0);
  Value a = tensor::CollapseShapeOp::create(
      b, loc, RankedTensorType::get({oh * ow, c * kh * kw}, b.getI8Type()), cols,
      SmallVector<ReassociationIndices>{{0, 1}, {2, 3, 4}});
  RequantizeOp rq = fusableRequant(op.getOutput(), 1);
  auto prod = buildGemmVNNI(b, op, a, w, bias, rq, sdot);
  if (failed(prod))
    return failure();
  // [oh*ow][f] -> [1][f][oh][ow]
  Type elt = cast<RankedTensorType>(prod->getType()).getElementType();
  auto tTy = RankedTensorType::get({f, oh * ow}, elt);
  Value tEmpty = tensor::EmptyOp::create(b, loc, tTy.getShape(), elt);
  Value t = linalg::TransposeOp::create(b, loc, *prod, tEmpty,
                                        ArrayRef<int64_t>{1, 0})
                .getResult()[0];
  Value r = tensor::ExpandShapeOp::create(
      b, loc, outTy.clone(elt), t,
      SmallVector<ReassociationIndices>{{0, 1}, {2, 3}});
  return replaceFused(op, rq, r, erased);
}

LogicalResult lowerConv(Conv2DOp op, bool vnni, bool sdot,
                        llvm::DenseSet<Operation *> &erased) {
  Builder b(op.getContext());
  if (isFloat(op.getInput())) {
    auto wb = floatWeights(op);
    if (failed(wb))
      return failure();
    return lowerConvWith<double>(op, wb->first, wb->second,
                                 b.getF32FloatAttr(0.0));
  }
  auto folded = foldZeroPoint(op);
  if (failed(folded))
    return failure();
  auto inTy = op.getInput().getType();
  bool kernels = (vnni || sdot) && inTy.hasStaticShape() &&
                 inTy.getDimSize(0) == 1 && inTy.getElementType().isInteger(8);
  auto wTy = op.getWeight().getType();
  if (kernels && vnni && op.getGroup() == 1) {
    // 1x1 stride-1 unpadded: the pointwise kernel; others: the direct one.
    bool pointwise =
        wTy.getDimSize(2) == 1 && wTy.getDimSize(3) == 1 &&
        llvm::all_equal(op.getStrides()) && op.getStrides()[0] == 1 &&
        llvm::all_of(op.getPads(), [](int64_t p) { return p == 0; });
    OpBuilder b(op);
    RequantizeOp rq = fusableRequant(op.getOutput(), 1);
    auto r = pointwise
                 ? buildPointwiseVNNI(b, op, folded->first, folded->second, rq)
                 : buildDirectConvVNNI(b, op, folded->first, folded->second, rq);
    if (failed(r))
      return failure();
    return replaceFused(op, rq, *r, erased);
  }
  if (kernels && op.getGroup() == 1)
    return lowerConvVNNI(op, folded->first, folded->second, erased, sdot);
  int64_t c = inTy.getDimSize(1);
  if (kernels && op.getGroup() == c && op.getWeight().getType().getDimSize(0) == c &&
      op.getStrides()[1] <= 2) {
    OpBuilder b(op);
    RequantizeOp rq = fusableRequant(op.getOutput(), 1);
    auto r = buildDepthwise(b, op, op.getInput(), folded->first, folded->second, rq,
                            vnni);
    if (failed(r))
      return failure();
    return replaceFused(op, rq, *r, erased);
  }
  return lowerConvWith<int64_t>(
      op, folded->first, folded->second,
      b.getI8IntegerAttr(op.getInputZp().value_or(0)));
}

template <typename T>
LogicalResult lowerGemmWith(GemmOp op, ArrayRef<T> w, ArrayRef<T> bias) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto wTy = op.getWeight().getType();
  int64_t n = wTy.getDimSize(0), k = wTy.getDimSize(1);
  SmallVector<T> wt(n * k);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j)
      wt[j * n + i] = w[i * k + j];
  Value wc = createConstant(
      b, loc, RankedTensorType::get({k, n}, wTy.getElementType()), wt);
  auto outTy = op.getOutput().getType();
  Value init = biasInit(b, loc, outTy, bias, {0});
  // Loops (m, k, n) with n innermost: the weight row w[k, :] and the
  // accumulator row are contiguous there, so the loop vectorizes (the named
  // matmul's (m, n, k) order leaves a strided scalar reduction innermost).
  // Each output still sums over k in order, so float results are unchanged.
  MLIRContext *ctx = b.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  using It = utils::IteratorType;
  Value r = macGeneric(b, loc, op.getInput(), wc, init, 3,
                       {{d(0), d(1)}, {d(1), d(2)}, {d(0), d(2)}},
                       {It::parallel, It::reduction, It::parallel});
  op.replaceAllUsesWith(r);
  op.erase();
  return success();
}

/// x when `v` is `tosa.bitwise_xor x, -128` (the importer's int8 view of a
/// uint8 tensor): x's bytes are v's as uint8, vpdpbusd's unsigned operand.
Value unflipped(Value v) {
  auto x = v.getDefiningOp<tosa::BitwiseXorOp>();
  if (!x)
    return {};
  for (auto [c, other] : {std::pair(x.getInput2(), x.getInput1()),
                          std::pair(x.getInput1(), x.getInput2())}) {
    auto vals = getConstantI64(c);
    if (vals && !vals->empty() && other.getType() == v.getType() &&
        llvm::all_of(*vals, [](int64_t e) { return e == -128; }))
      return other;
  }
  return {};
}

LogicalResult lowerGemm(GemmOp op, bool vnni, bool sdot,
                        llvm::DenseSet<Operation *> &erased) {
  if (isFloat(op.getInput())) {
    auto wb = floatWeights(op);
    if (failed(wb))
      return failure();
    return lowerGemmWith<double>(op, wb->first, wb->second);
  }
  auto folded = foldZeroPoint(op);
  if (failed(folded))
    return failure();
  if ((vnni || sdot) && op.getInput().getType().hasStaticShape() &&
      op.getInput().getType().getElementType().isInteger(8)) {
    OpBuilder b(op);
    RequantizeOp rq = fusableRequant(op.getOutput(), 1);
    Value in = op.getInput(), bytes = sdot ? Value() : unflipped(in);
    auto r = buildGemmVNNI(b, op, bytes ? bytes : in, folded->first,
                           folded->second, rq, sdot, /*unsignedInput=*/bool(bytes));
    if (failed(r))
      return failure();
    return replaceFused(op, rq, *r, erased);
  }
  return lowerGemmWith<int64_t>(op, folded->first, folded->second);
}

template <typename PoolOp>
Value pool(OpBuilder &b, Location loc, Value in, RankedTensorType outTy,
           TypedAttr initValue, ArrayRef<int64_t> kernel,
           ArrayRef<int64_t> strides) {
  Value window = tensor::EmptyOp::create(b, loc, kernel,
                                         outTy.getElementType());
  Value init = filled(b, loc, outTy, initValue);
  return PoolOp::create(b, loc, TypeRange{outTy}, ValueRange{in, window},
                        ValueRange{init}, b.getI64VectorAttr(strides),
                        b.getI64VectorAttr({1, 1}))
      .getResult(0);
}

LogicalResult lowerMaxPool(MaxPool2DOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  TypedAttr lowest =
      isFloat(op.getInput())
          ? TypedAttr(b.getF32FloatAttr(-std::numeric_limits<float>::infinity()))
          : TypedAttr(b.getI8IntegerAttr(-128));
  Value in = padNCHW(b, loc, op.getInput(), op.getPads(), lowest);
  Value r = pool<linalg::PoolingNchwMaxOp>(b, loc, in, op.getOutput().getType(),
                                           lowest, op.getKernel(),
                                           op.getStrides());
  op.replaceAllUsesWith(r);
  op.erase();
  return success();
}

/// Float average pooling (ops kept in float): window sum / window size.
/// Float average pool: window sums over the input padded with 0, divided by
/// the window size, or with count_include_pad = 0 by the number of input
/// elements under each window (a [Ho, Wo] constant).
LogicalResult lowerAvgPool(AvgPool2DOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  ArrayRef<int64_t> k = op.getKernel(), s = op.getStrides(), p = op.getPads();
  Value in = padNCHW(b, loc, op.getInput(), p, b.getF32FloatAttr(0));
  auto outTy = op.getOutput().getType();
  Value sum = pool<linalg::PoolingNchwSumOp>(b, loc, in, outTy,
                                             b.getF32FloatAttr(0), k, s);
  int64_t ho = outTy.getDimSize(2), wo = outTy.getDimSize(3);
  int64_t h = op.getInput().getType().getDimSize(2),
          w = op.getInput().getType().getDimSize(3);
  SmallVector<float> counts;
  for (int64_t i = 0; i < ho; ++i)
    for (int64_t j = 0; j < wo; ++j) {
      auto covered = [](int64_t start, int64_t len, int64_t size) {
        return std::min(start + len, size) - std::max<int64_t>(start, 0);
      };
      counts.push_back(op.getCountIncludePad()
                           ? float(k[0] * k[1])
                           : float(covered(i * s[0] - p[0], k[0], h) *
                                   covered(j * s[1] - p[1], k[1], w)));
    }
  auto cTy = RankedTensorType::get({ho, wo}, b.getF32Type());
  Value c = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(cTy, ArrayRef<float>(counts)));
  MLIRContext *ctx = b.getContext();
  AffineMap id = b.getMultiDimIdentityMap(4);
  AffineMap hw = AffineMap::get(4, 0, {getAffineDimExpr(2, ctx),
                                       getAffineDimExpr(3, ctx)}, ctx);
  Value init = tensor::EmptyOp::create(b, loc, outTy.getShape(),
                                       b.getF32Type());
  SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
  auto g = linalg::GenericOp::create(
      b, loc, TypeRange{outTy}, ValueRange{sum, c}, ValueRange{init},
      SmallVector<AffineMap>{id, hw, id}, iters, "", "",
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        linalg::YieldOp::create(nb, nl,
                                Value(arith::DivFOp::create(nb, nl, a[0], a[1])));
      });
  op.replaceAllUsesWith(g.getResult(0));
  op.erase();
  return success();
}

LogicalResult lowerSumPool(SumPool2DOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  int64_t zp = op.getInputZp();
  Value wide = elementwise(
      b, loc, op.getInput(), b.getI32Type(), {}, 0,
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Value e = arith::ExtSIOp::create(nb, nl, nb.getI32Type(), a[0]);
        return arith::SubIOp::create(nb, nl, e, scalarI32(nb, nl, zp));
      });
  Value in = padNCHW(b, loc, wide, op.getPads(), b.getI32IntegerAttr(0));
  Value r = pool<linalg::PoolingNchwSumOp>(b, loc, in, op.getOutput().getType(),
                                           b.getI32IntegerAttr(0),
                                           op.getKernel(), op.getStrides());
  op.replaceAllUsesWith(r);
  op.erase();
  return success();
}

LogicalResult lowerRequantize(RequantizeOp op) {
  if (!op.isDyadic())
    return op.emitError("requantize has no dyadic form (run "
                        "--qc-fold-rescale first)");
  OpBuilder b(op);
  Location loc = op.getLoc();
  ArrayRef<int32_t> mult = *op.getMultiplier(), shift = *op.getShift();
  bool perChannel = op.getAxis() >= 0;
  SmallVector<Value> chans;
  if (perChannel) {
    int64_t n = mult.size();
    chans.push_back(createConstant(
        b, loc, RankedTensorType::get({n}, b.getI32Type()),
        SmallVector<int64_t>(mult.begin(), mult.end())));
    chans.push_back(createConstant(
        b, loc, RankedTensorType::get({n}, b.getI8Type()),
        SmallVector<int64_t>(shift.begin(), shift.end())));
  }
  Type outElt = op.getOutput().getType().getElementType();
  int64_t izp = op.getInputZp(), ozp = op.getOutputZp();
  int64_t lo = op.getMin(), hi = op.getMax();
  auto mode = tosa::RoundingModeAttr::get(b.getContext(),
                                          tosa::RoundingMode::DOUBLE_ROUND);
  Value r = elementwise(
      b, loc, op.getInput(), outElt, chans, perChannel ? op.getAxis() : 0,
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Type i32 = nb.getI32Type();
        Value v = a[0];
        if (v.getType() != i32)
          v = arith::ExtSIOp::create(nb, nl, i32, v);
        if (izp)
          v = arith::SubIOp::create(nb, nl, v, scalarI32(nb, nl, izp));
        Value m = perChannel ? a[1] : scalarI32(nb, nl, mult[0]);
        Value s = perChannel ? a[2] : scalarI32(nb, nl, shift[0], 8);
        v = tosa::ApplyScaleOp::create(nb, nl, i32, v, m, s, mode);
        if (ozp)
          v = arith::AddIOp::create(nb, nl, v, scalarI32(nb, nl, ozp));
        v = arith::MaxSIOp::create(nb, nl, v, scalarI32(nb, nl, lo));
        v = arith::MinSIOp::create(nb, nl, v, scalarI32(nb, nl, hi));
        if (outElt != i32)
          v = arith::TruncIOp::create(nb, nl, outElt, v);
        return v;
      });
  op.replaceAllUsesWith(r);
  op.erase();
  return success();
}

/// Per-axis parameters as 1-D constants indexed along the axis (none for
/// per-tensor parameters, which become scalars in the body).
SmallVector<Value> axisParams(OpBuilder &b, Location loc, const QParams &q,
                              Type zpElt) {
  if (q.axis < 0)
    return {};
  int64_t n = q.scales.size();
  SmallVector<float> s(q.scales.begin(), q.scales.end());
  auto sTy = RankedTensorType::get({n}, b.getF32Type());
  auto zTy = RankedTensorType::get({n}, zpElt);
  SmallVector<float> zf;
  SmallVector<int32_t> zi;
  for (int64_t v : q.zeroPoints) {
    zf.push_back(float(v));
    zi.push_back(int32_t(v));
  }
  Attribute z = zpElt.isF32() ? DenseElementsAttr::get(zTy, ArrayRef<float>(zf))
                              : DenseElementsAttr::get(zTy, ArrayRef<int32_t>(zi));
  return {arith::ConstantOp::create(b, loc, DenseElementsAttr::get(
                                                sTy, ArrayRef<float>(s))),
          arith::ConstantOp::create(b, loc, cast<TypedAttr>(z))};
}

/// q = clamp(rne(x / s) + z, qmin, qmax) per tensor or per axis.
LogicalResult lowerQuantize(QuantizeOp op) {
  QParams q = getQParams(op.getQtype());
  OpBuilder b(op);
  Type outElt = op.getOutput().getType().getElementType();
  SmallVector<Value> params = axisParams(b, op.getLoc(), q, b.getF32Type());
  Value r = elementwise(
      b, op.getLoc(), op.getInput(), outElt, params, std::max<int64_t>(q.axis, 0),
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        auto f = [&](double v) -> Value {
          return arith::ConstantOp::create(nb, nl, nb.getF32FloatAttr(v));
        };
        Value s = params.empty() ? f(q.scale()) : a[1];
        Value z = params.empty() ? f(q.zp()) : a[2];
        Value v = arith::DivFOp::create(nb, nl, a[0], s);
        v = math::RoundEvenOp::create(nb, nl, v);
        v = arith::AddFOp::create(nb, nl, v, z);
        v = arith::MaxNumFOp::create(nb, nl, v, f(q.qmin));
        v = arith::MinNumFOp::create(nb, nl, v, f(q.qmax));
        return arith::FPToSIOp::create(nb, nl, outElt, v);
      });
  op.replaceAllUsesWith(r);
  op.erase();
  return success();
}

/// x = (q - z) * s per tensor or per axis.
LogicalResult lowerDequantize(DequantizeOp op) {
  QParams q = getQParams(op.getQtype());
  OpBuilder b(op);
  SmallVector<Value> params = axisParams(b, op.getLoc(), q, b.getI32Type());
  Value r = elementwise(
      b, op.getLoc(), op.getInput(), b.getF32Type(), params,
      std::max<int64_t>(q.axis, 0),
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Type i32 = nb.getI32Type();
        Value v = a[0];
        if (v.getType() != i32)
          v = arith::ExtSIOp::create(nb, nl, i32, v);
        Value z = params.empty() ? scalarI32(nb, nl, q.zp()) : a[2];
        v = arith::SubIOp::create(nb, nl, v, z);
        v = arith::SIToFPOp::create(nb, nl, nb.getF32Type(), v);
        Value s = params.empty() ? Value(arith::ConstantOp::create(
                                       nb, nl, nb.getF32FloatAttr(q.scale())))
                                 : a[1];
        return arith::MulFOp::create(nb, nl, v, s);
      });
  op.replaceAllUsesWith(r);
  op.erase();
  return success();
}

/// Float batch norm (input normalization kept in float): per channel
/// y = x * a + b with a = scale / sqrt(var + eps), b = bias - mean * a,
/// each step one float32 operation, so the numpy reference can repeat it
/// bit for bit.
LogicalResult lowerBatchNorm(BatchNormOp op) {
  auto get = [](Value v) { return getConstantF64(v); };
  auto sc = get(op.getScale()), bi = get(op.getBias()), mu = get(op.getMean()),
       var = get(op.getVar());
  if (!sc || !bi || !mu || !var)
    return op.emitError("lowering needs constant batch norm parameters");
  float eps = op.getEpsilon().convertToFloat();
  SmallVector<float> a, b;
  for (size_t c = 0; c < sc->size(); ++c) {
    float s = std::sqrt(static_cast<float>((*var)[c]) + eps);
    a.push_back(static_cast<float>((*sc)[c]) / s);
    b.push_back(static_cast<float>((*bi)[c]) - static_cast<float>((*mu)[c]) * a.back());
  }
  OpBuilder bld(op);
  Location loc = op.getLoc();
  auto chanTy = RankedTensorType::get({int64_t(a.size())}, bld.getF32Type());
  Value av = arith::ConstantOp::create(
      bld, loc, DenseElementsAttr::get(chanTy, ArrayRef<float>(a)));
  Value bv = arith::ConstantOp::create(
      bld, loc, DenseElementsAttr::get(chanTy, ArrayRef<float>(b)));
  Value r = elementwise(bld, loc, op.getInput(), bld.getF32Type(), {av, bv}, 1,
                        [](OpBuilder &nb, Location nl, ValueRange x) -> Value {
                          Value m = arith::MulFOp::create(nb, nl, x[0], x[1]);
                          return arith::AddFOp::create(nb, nl, m, x[2]);
                        });
  op.replaceAllUsesWith(r);
  op.erase();
  return success();
}

LogicalResult lowerOp(Operation *op, bool vnni, bool sdot,
                      llvm::DenseSet<Operation *> &erased) {
  return TypeSwitch<Operation *, LogicalResult>(op)
      .Case([](QuantizeOp o) { return lowerQuantize(o); })
      .Case([](DequantizeOp o) { return lowerDequantize(o); })
      .Case([](RequantizeOp o) { return lowerRequantize(o); })
      .Case([&](Conv2DOp o) { return lowerConv(o, vnni, sdot, erased); })
      .Case([&](GemmOp o) { return lowerGemm(o, vnni, sdot, erased); })
      .Case([](MaxPool2DOp o) { return lowerMaxPool(o); })
      .Case([](SumPool2DOp o) { return lowerSumPool(o); })
      .Case([](AvgPool2DOp o) { return lowerAvgPool(o); })
      .Case([](BatchNormOp o) { return lowerBatchNorm(o); })
      .Case<SoftmaxOp, LayerNormOp, GeluOp, ISoftmaxOp, IGeluOp, ILayerNormOp>(
          [](Operation *o) { return lowerRowOp(o); })
      .Default([](Operation *o) {
        return o->emitError() << "'" << o->getName()
                              << "' does not lower to linalg; run the "
                                 "quantization passes first";
      });
}

struct ConvertQCToLinalgPass
    : public qc::impl::ConvertQCToLinalgBase<ConvertQCToLinalgPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<QCDialect>(op->getDialect()))
        ops.push_back(op);
    });
    // Lowering a conv or gemm may fuse (and erase) the requantize after it.
    llvm::DenseSet<Operation *> erased;
    for (Operation *op : ops)
      if (!erased.count(op) && failed(lowerOp(op, vnni, sdot, erased)))
        return signalPassFailure();
  }
};

} // namespace
