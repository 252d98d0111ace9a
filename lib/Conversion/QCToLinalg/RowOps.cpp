//===- RowOps.cpp - last-axis ops (softmax, layer norm, GELU) to linalg ---===//
//
// Each op becomes a few linalg.generic ops over its input's shape: row
// reductions (sum, max) over the last axis into a tensor without it, then
// an elementwise generic that reads the row results broadcast back. The
// integer kernels compute in i64 exactly as integer-spec.md section 5 and
// the op descriptions say; python/qc/intref.py repeats them in numpy.
//
//===----------------------------------------------------------------------===//
#include "RowOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace qc;

namespace {

using Body = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// A linalg.generic over the shape of full[0]: `full` operands read
/// elementwise, `rows` (shape without the last axis) broadcast along it,
/// `chans` (1-D, the last axis) broadcast across rows. With `init`, the
/// result is a row reduction seeded with it and `body` gets the running
/// value last; otherwise the result has full[0]'s shape.
Value rowGeneric(OpBuilder &b, Location loc, ValueRange full, ValueRange rows,
                 ValueRange chans, Type outElt, TypedAttr init, Body body) {
  auto ty = cast<RankedTensorType>(full[0].getType());
  unsigned rank = ty.getRank();
  MLIRContext *ctx = b.getContext();
  AffineMap id = b.getMultiDimIdentityMap(rank);
  SmallVector<AffineExpr> lead;
  for (unsigned d = 0; d + 1 < rank; ++d)
    lead.push_back(getAffineDimExpr(d, ctx));
  AffineMap rowMap = AffineMap::get(rank, 0, lead, ctx);
  AffineMap chanMap = AffineMap::get(rank, 0, getAffineDimExpr(rank - 1, ctx));
  SmallVector<AffineMap> maps;
  SmallVector<Value> ins;
  for (Value v : full)
    maps.push_back(id), ins.push_back(v);
  for (Value v : rows)
    maps.push_back(rowMap), ins.push_back(v);
  for (Value v : chans)
    maps.push_back(chanMap), ins.push_back(v);
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  Value out;
  if (init) {
    iters.back() = utils::IteratorType::reduction;
    maps.push_back(rowMap);
    Value e = tensor::EmptyOp::create(b, loc, ty.getShape().drop_back(), outElt);
    Value c = arith::ConstantOp::create(b, loc, init);
    out = linalg::FillOp::create(b, loc, ValueRange{c}, ValueRange{e})
              .getResult(0);
  } else {
    maps.push_back(id);
    out = tensor::EmptyOp::create(b, loc, ty.getShape(), outElt);
  }
  bool reduce = bool(init);
  auto g = linalg::GenericOp::create(
      b, loc, TypeRange{out.getType()}, ins, ValueRange{out}, maps, iters, "",
      "", [&](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(
            nb, nl, body(nb, nl, reduce ? args : args.drop_back()));
      });
  return g.getResult(0);
}

/// Small arithmetic on scalars inside generic bodies.
struct Ar {
  OpBuilder &b;
  Location loc;
  Value c(int64_t v) {
    return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
  }
  Value f(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(float(v)));
  }
  Value i64(Value v) {
    return v.getType().isInteger(64)
               ? v
               : arith::ExtSIOp::create(b, loc, b.getI64Type(), v);
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value shr(Value x, int64_t s) {
    return arith::ShRSIOp::create(b, loc, x, c(s));
  }
  Value floorDiv(Value x, Value y) {
    return arith::FloorDivSIOp::create(b, loc, x, y);
  }
  Value max(Value x, Value y) { return arith::MaxSIOp::create(b, loc, x, y); }
  Value min(Value x, Value y) { return arith::MinSIOp::create(b, loc, x, y); }
  Value lt(Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, y);
  }
  Value eq(Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, y);
  }
  Value sel(Value p, Value x, Value y) {
    return arith::SelectOp::create(b, loc, p, x, y);
  }
  /// clamp(v + zp, -128, 127) as i8.
  Value toI8(Value v, int64_t zp) {
    v = min(max(add(v, c(zp)), c(-128)), c(127));
    return arith::TruncIOp::create(b, loc, b.getI8Type(), v);
  }
  /// RNE(sum / n) for n > 0, exactly.
  Value meanRNE(Value sum, int64_t n) {
    Value q = floorDiv(sum, c(n));
    Value twice = mul(sub(sum, mul(q, c(n))), c(2));
    Value odd = eq(arith::AndIOp::create(b, loc, q, c(1)), c(1));
    Value up = arith::OrIOp::create(
        b, loc, lt(c(n), twice),
        arith::AndIOp::create(b, loc, eq(twice, c(n)), odd));
    return add(q, arith::ExtUIOp::create(b, loc, b.getI64Type(), up));
  }
  /// floor(sqrt(v)) for 0 <= v < 2^32: Newton from 2^ceil(bits/2), six
  /// steps unrolled (enough below 2^32, integer-spec.md 5.6), each keeping
  /// the smaller iterate.
  Value isqrt(Value v) {
    Value bits = sub(c(64), math::CountLeadingZerosOp::create(b, loc, v));
    Value x = arith::ShLIOp::create(b, loc, c(1), shr(add(bits, c(1)), 1));
    for (int i = 0; i < 6; ++i) {
      Value d = arith::DivUIOp::create(b, loc, v, max(x, c(1)));
      x = min(x, shr(add(x, d), 1));
    }
    return x;
  }
};

void replace(Operation *op, Value v) {
  op->getResult(0).replaceAllUsesWith(v);
  op->erase();
}

LogicalResult lowerSoftmax(SoftmaxOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value x = op.getInput();
  Type f32 = b.getF32Type();
  auto ninf = b.getF32FloatAttr(-std::numeric_limits<float>::infinity());
  Value mx = rowGeneric(b, loc, {x}, {}, {}, f32, ninf,
                        [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                          return arith::MaximumFOp::create(nb, nl, a[0], a[1]);
                        });
  auto expm = [](OpBuilder &nb, Location nl, Value v, Value m) -> Value {
    return math::ExpOp::create(nb, nl, arith::SubFOp::create(nb, nl, v, m));
  };
  Value sum = rowGeneric(b, loc, {x}, {mx}, {}, f32, b.getF32FloatAttr(0),
                         [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                           return arith::AddFOp::create(
                               nb, nl, a[2], expm(nb, nl, a[0], a[1]));
                         });
  replace(op, rowGeneric(b, loc, {x}, {mx, sum}, {}, f32, nullptr,
                         [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                           return arith::DivFOp::create(
                               nb, nl, expm(nb, nl, a[0], a[1]), a[2]);
                         }));
  return success();
}

LogicalResult lowerLayerNorm(LayerNormOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value x = op.getInput();
  Type f32 = b.getF32Type();
  auto ty = cast<RankedTensorType>(x.getType());
  float invN = 1.0f / float(ty.getDimSize(ty.getRank() - 1));
  float eps = op.getEpsilon().convertToFloat();
  auto zero = b.getF32FloatAttr(0);
  // mean = sum * (1/n); var = sum((x - mean)^2) * (1/n), each in float32.
  auto centred = [&](OpBuilder &nb, Location nl, Value v, Value s) -> Value {
    Ar a{nb, nl};
    return arith::SubFOp::create(nb, nl, v,
                                 arith::MulFOp::create(nb, nl, s, a.f(invN)));
  };
  Value sum = rowGeneric(b, loc, {x}, {}, {}, f32, zero,
                         [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                           return arith::AddFOp::create(nb, nl, a[1], a[0]);
                         });
  Value sq = rowGeneric(b, loc, {x}, {sum}, {}, f32, zero,
                        [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                          Value d = centred(nb, nl, a[0], a[1]);
                          return arith::AddFOp::create(
                              nb, nl, a[2], arith::MulFOp::create(nb, nl, d, d));
                        });
  replace(op, rowGeneric(
                  b, loc, {x}, {sum, sq}, {op.getScale(), op.getBias()}, f32,
                  nullptr, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                    Ar r{nb, nl};
                    Value d = centred(nb, nl, a[0], a[1]);
                    Value var = arith::AddFOp::create(
                        nb, nl, arith::MulFOp::create(nb, nl, a[2], r.f(invN)),
                        r.f(eps));
                    Value y = arith::DivFOp::create(
                        nb, nl, d, math::SqrtOp::create(nb, nl, var));
                    return arith::AddFOp::create(
                        nb, nl, arith::MulFOp::create(nb, nl, y, a[3]), a[4]);
                  }));
  return success();
}

LogicalResult lowerGelu(GeluOp op) {
  OpBuilder b(op);
  bool tanh = op.getApproximate() == "tanh";
  replace(op, rowGeneric(
                  b, op.getLoc(), {op.getInput()}, {}, {}, b.getF32Type(),
                  nullptr, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                    Ar r{nb, nl};
                    Value x = a[0], inner;
                    if (tanh) {
                      Value x3 = arith::MulFOp::create(
                          nb, nl, arith::MulFOp::create(nb, nl, x, x), x);
                      Value s = arith::AddFOp::create(
                          nb, nl, x,
                          arith::MulFOp::create(nb, nl, x3, r.f(0.044715)));
                      inner = math::TanhOp::create(
                          nb, nl, arith::MulFOp::create(
                                      nb, nl, s, r.f(std::sqrt(2.0 / M_PI))));
                    } else {
                      inner = math::ErfOp::create(
                          nb, nl, arith::MulFOp::create(nb, nl, x, r.f(M_SQRT1_2)));
                    }
                    Value h = arith::MulFOp::create(nb, nl, x, r.f(0.5));
                    return arith::MulFOp::create(
                        nb, nl, h, arith::AddFOp::create(nb, nl, inner, r.f(1)));
                  }));
  return success();
}

LogicalResult lowerISoftmax(ISoftmaxOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value x = op.getInput();
  Type i32 = b.getI32Type();
  int64_t x0 = op.getX0(), bi = op.getBInt(), ci = op.getCInt();
  int64_t pre = op.getPreShift(), m = op.getMultiplier(), sh = op.getShift();
  Value mx = rowGeneric(b, loc, {x}, {}, {}, i32,
                        b.getI32IntegerAttr(std::numeric_limits<int32_t>::min()),
                        [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                          return arith::MaxSIOp::create(nb, nl, a[0], a[1]);
                        });
  // e16 = clamp(((iexp(x - max) >> pre) * m + 2^(sh-1)) >> sh, 0, 32767)
  Value e16 = rowGeneric(
      b, loc, {x}, {mx}, {}, i32, nullptr,
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Ar r{nb, nl};
        Value v = r.max(r.sub(r.i64(a[0]), r.i64(a[1])), r.c(30 * x0));
        Value qz = r.floorDiv(v, r.c(x0));
        Value rem = r.sub(v, r.mul(r.c(x0), qz));
        Value z = r.add(r.mul(rem, r.add(rem, r.c(bi))), r.c(ci));
        Value e = arith::ShLIOp::create(nb, nl, z, r.sub(r.c(30), qz));
        e = r.max(e, r.c(0));
        Value p = r.add(r.mul(r.shr(e, pre), r.c(m)), r.c(int64_t(1) << (sh - 1)));
        Value q = r.min(r.max(r.shr(p, sh), r.c(0)), r.c(32767));
        return arith::TruncIOp::create(nb, nl, nb.getI32Type(), q);
      });
  Value sum = rowGeneric(b, loc, {e16}, {}, {}, i32, b.getI32IntegerAttr(0),
                         [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                           return arith::AddIOp::create(nb, nl, a[1], a[0]);
                         });
  int64_t zp = op.getOutputZp();
  // Per row, once: floor(2^32 / sum) (0 for an empty sum).
  Value factor = rowGeneric(
      b, loc, {sum}, {}, {}, b.getI64Type(), nullptr,
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Ar r{nb, nl};
        Value s = r.i64(a[0]);
        return r.sel(r.lt(r.c(0), s),
                     r.floorDiv(r.c(int64_t(1) << 32), r.max(s, r.c(1))),
                     r.c(0));
      });
  replace(op, rowGeneric(
                  b, loc, {e16}, {factor}, {}, b.getI8Type(), nullptr,
                  [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                    Ar r{nb, nl};
                    return r.toI8(r.shr(r.mul(r.i64(a[0]), a[1]), 24), zp);
                  }));
  return success();
}

LogicalResult lowerIGelu(IGeluOp op) {
  OpBuilder b(op);
  int64_t bi = op.getBInt(), ci = op.getCInt(), one = op.getOne();
  replace(op, rowGeneric(
                  b, op.getLoc(), {op.getInput()}, {}, {}, b.getI32Type(),
                  nullptr, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                    Ar r{nb, nl};
                    Value q = r.i64(a[0]);
                    Value neg = r.lt(q, r.c(0));
                    Value u = r.min(r.sel(neg, r.sub(r.c(0), q), q), r.c(-bi));
                    Value t = r.add(r.mul(r.add(u, r.c(bi)), r.add(u, r.c(bi))),
                                    r.c(ci));
                    // sgn(q) * t, with sgn(0) = 0
                    Value st = r.sel(neg, r.sub(r.c(0), t),
                                     r.sel(r.eq(q, r.c(0)), r.c(0), t));
                    Value erf = r.shr(st, 14);
                    Value y = r.sub(r.c(0), r.mul(q, r.add(erf, r.c(one))));
                    return arith::TruncIOp::create(nb, nl, nb.getI32Type(), y);
                  }));
  return success();
}

LogicalResult lowerILayerNorm(ILayerNormOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value x = op.getInput();
  auto ty = cast<RankedTensorType>(x.getType());
  int64_t n = ty.getDimSize(ty.getRank() - 1), shift = op.getShift();
  int64_t eps = op.getEps(), k = op.getK(), zp = op.getOutputZp();
  Type i64 = b.getI64Type();
  auto zero = b.getI64IntegerAttr(0);
  Value sum = rowGeneric(b, loc, {x}, {}, {}, i64, zero,
                         [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                           Ar r{nb, nl};
                           return r.add(a[1], r.i64(a[0]));
                         });
  // Per row, once: the rounded mean, then floor(2^31 / std).
  Value mean = rowGeneric(b, loc, {sum}, {}, {}, i64, nullptr,
                          [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                            return Ar{nb, nl}.meanRNE(a[0], n);
                          });
  Value var = rowGeneric(b, loc, {x}, {mean}, {}, i64, zero,
                         [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                           Ar r{nb, nl};
                           Value ys = r.shr(r.sub(r.i64(a[0]), a[1]), shift);
                           return r.add(a[2], r.mul(ys, ys));
                         });
  Value factor = rowGeneric(
      b, loc, {var}, {}, {}, i64, nullptr,
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Ar r{nb, nl};
        Value sd = arith::ShLIOp::create(nb, nl, r.isqrt(r.add(a[0], r.c(eps))),
                                         r.c(shift));
        return r.sel(r.eq(sd, r.c(0)), r.c(int64_t(1) << 31),
                     r.floorDiv(r.c(int64_t(1) << 31), r.max(sd, r.c(1))));
      });
  auto vec = [&](ArrayRef<int64_t> v) {
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(RankedTensorType::get({n}, i64), v));
  };
  Value gamma = vec(op.getGamma()), beta = vec(op.getBeta());
  replace(op, rowGeneric(
                  b, loc, {x}, {mean, factor}, {gamma, beta}, b.getI8Type(),
                  nullptr, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                    Ar r{nb, nl};
                    Value yn = r.shr(r.mul(r.sub(r.i64(a[0]), a[1]), a[2]), 1);
                    Value v = r.add(r.add(r.mul(yn, a[3]), a[4]),
                                    r.c(int64_t(1) << (k - 1)));
                    return r.toI8(r.shr(v, k), zp);
                  }));
  return success();
}

} // namespace

LogicalResult qc::lowerRowOp(Operation *op) {
  return TypeSwitch<Operation *, LogicalResult>(op)
      .Case([](SoftmaxOp o) { return lowerSoftmax(o); })
      .Case([](LayerNormOp o) { return lowerLayerNorm(o); })
      .Case([](GeluOp o) { return lowerGelu(o); })
      .Case([](ISoftmaxOp o) { return lowerISoftmax(o); })
      .Case([](IGeluOp o) { return lowerIGelu(o); })
      .Case([](ILayerNormOp o) { return lowerILayerNorm(o); })
      .Default([](Operation *) { return failure(); });
}
