//===- RaiseDecomposed.cpp - recognise decomposed GELU and LayerNorm ------===//
#include "qc/Dialect/QC/IR/QCDialect.h"
#include "qc/Transforms/Passes.h"
#include "qc/Transforms/Utils.h"

#include <cmath>

namespace qc {
#define GEN_PASS_DEF_QCRAISEDECOMPOSED
#include "qc/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;

namespace {

bool isSplat(Value v, double want, double relTol = 1e-4) {
  auto s = getSplatF64(v);
  return s && std::abs(*s - want) <= relTol * std::abs(want);
}

template <typename OpTy>
OpTy def(Value v) {
  return v ? v.getDefiningOp<OpTy>() : OpTy();
}

/// Matches `op(a, b)` in either operand order: returns true and sets
/// (first, second) so that `pred(first)` holds.
bool either(Value a, Value b, function_ref<bool(Value)> pred, Value &first,
            Value &second) {
  if (pred(a)) {
    first = a, second = b;
    return true;
  }
  if (pred(b)) {
    first = b, second = a;
    return true;
  }
  return false;
}

struct RaiseDecomposedPass
    : public qc::impl::QCRaiseDecomposedBase<RaiseDecomposedPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) { ops.push_back(op); });
    for (Operation *op : ops) {
      if (auto add = dyn_cast<tosa::AddOp>(op))
        raiseLayerNorm(add);
      else if (auto mul = dyn_cast<tosa::MulOp>(op))
        raiseGelu(mul) || hoistScalarMul(mul);
    }
    eraseDead();
  }

private:
  SmallVector<Operation *> dead;

  /// `x * 0.5 * (1 + f(x))` in any association: returns x and `1 + f(x)`.
  bool halfProduct(tosa::MulOp root, Value &x, Value &onePlus) {
    Value half, rest;
    // (x * (1 + f)) * 0.5
    if (either(root.getInput1(), root.getInput2(),
               [](Value v) { return isSplat(v, 0.5); }, half, rest)) {
      auto m = def<tosa::MulOp>(rest);
      if (!m)
        return false;
      return either(m.getInput1(), m.getInput2(),
                    [](Value v) { return plusOne(v) != nullptr; },
                    onePlus, x);
    }
    // (x * 0.5) * (1 + f)
    Value xh;
    if (!either(root.getInput1(), root.getInput2(),
                [](Value v) {
                  auto m = def<tosa::MulOp>(v);
                  return m && (isSplat(m.getInput1(), 0.5) ||
                               isSplat(m.getInput2(), 0.5));
                },
                xh, onePlus))
      return false;
    auto m = def<tosa::MulOp>(xh);
    x = isSplat(m.getInput1(), 0.5) ? m.getInput2() : m.getInput1();
    return true;
  }

  /// `1 + v`: returns v.
  static Value plusOne(Value s) {
    auto add = def<tosa::AddOp>(s);
    Value one, v;
    if (!add || !either(add.getInput1(), add.getInput2(),
                        [](Value c) { return isSplat(c, 1.0); }, one, v))
      return nullptr;
    return v;
  }

  /// `x * c` with a constant c: returns c's value and x.
  static std::optional<double> scaled(Value v, Value &x) {
    auto m = def<tosa::MulOp>(v);
    Value c;
    if (!m || !either(m.getInput1(), m.getInput2(),
                      [](Value w) { return getSplatF64(w).has_value(); }, c, x))
      return std::nullopt;
    return getSplatF64(c);
  }

  /// x^3 as pow(x, 3) or x * x * x.
  static bool isCube(Value v, Value x) {
    if (auto p = def<tosa::PowOp>(v))
      return p.getInput1() == x && isSplat(p.getInput2(), 3.0);
    auto m = def<tosa::MulOp>(v);
    if (!m)
      return false;
    auto sq = [&](Value w) {
      auto s = def<tosa::MulOp>(w);
      return s && s.getInput1() == x && s.getInput2() == x;
    };
    return (m.getInput1() == x && sq(m.getInput2())) ||
           (m.getInput2() == x && sq(m.getInput1()));
  }

  /// GELU: x * 0.5 * (1 + erf(x / sqrt(2))) or the tanh approximation
  /// x * 0.5 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))).
  bool raiseGelu(tosa::MulOp root) {
    Value x, onePlus;
    if (!halfProduct(root, x, onePlus))
      return false;
    Value f = plusOne(onePlus);
    if (!f)
      return false;
    StringRef kind;
    if (auto erf = def<tosa::ErfOp>(f)) {
      Value in;
      auto c = scaled(erf.getInput(), in);
      if (!c || in != x || std::abs(*c - M_SQRT1_2) > 1e-4)
        return false;
      kind = "none";
    } else if (auto th = def<tosa::TanhOp>(f)) {
      Value inner, a, cube;
      auto c = scaled(th.getInput(), inner);
      auto add = def<tosa::AddOp>(inner);
      if (!c || std::abs(*c - std::sqrt(2.0 / M_PI)) > 1e-4 || !add ||
          !either(add.getInput1(), add.getInput2(),
                  [&](Value v) { return v == x; }, a, cube))
        return false;
      Value cubed;
      auto k = scaled(cube, cubed);
      if (!k || std::abs(*k - 0.044715) > 1e-6 || !isCube(cubed, x))
        return false;
      kind = "tanh";
    } else {
      return false;
    }
    OpBuilder b(root);
    auto g = GeluOp::create(b, root.getLoc(), x, b.getStringAttr(kind));
    root.getOutput().replaceAllUsesWith(g.getOutput());
    dead.push_back(root);
    return true;
  }

  /// `reduce_sum(v, last axis) * (1 / n)`: returns v.
  static Value meanOf(Value m, int64_t axis, int64_t n) {
    Value in;
    auto c = scaled(m, in);
    auto r = def<tosa::ReduceSumOp>(in);
    if (!c || !r || int64_t(r.getAxis()) != axis ||
        std::abs(*c * n - 1.0) > 1e-5)
      return nullptr;
    return r.getInput();
  }

  /// The opset-13 decomposition: mean = ReduceMean(x), d = x - mean,
  /// var = ReduceMean(d * d), y = d / sqrt(var + eps) * gamma + beta.
  bool raiseLayerNorm(tosa::AddOp root) {
    Value scaledY, beta;
    if (!either(root.getInput1(), root.getInput2(),
                [](Value v) { return getConstantF64(v).has_value(); }, beta,
                scaledY))
      return false;
    auto gm = def<tosa::MulOp>(scaledY);
    Value gamma, y;
    if (!gm || !either(gm.getInput1(), gm.getInput2(),
                       [](Value v) { return getConstantF64(v).has_value(); },
                       gamma, y))
      return false;
    auto norm = def<tosa::MulOp>(y);
    if (!norm)
      return false;
    Value d, recip;
    if (!either(norm.getInput1(), norm.getInput2(),
                [](Value v) { return def<tosa::ReciprocalOp>(v) != nullptr; },
                recip, d))
      return false;
    auto sqrt = def<tosa::PowOp>(def<tosa::ReciprocalOp>(recip).getInput1());
    if (!sqrt || !isSplat(sqrt.getInput2(), 0.5))
      return false;
    auto addEps = def<tosa::AddOp>(sqrt.getInput1());
    Value epsV, var;
    if (!addEps || !either(addEps.getInput1(), addEps.getInput2(),
                           [](Value v) { return getSplatF64(v).has_value(); }, epsV,
                           var))
      return false;
    auto sub = def<tosa::SubOp>(d);
    if (!sub)
      return false;
    auto ty = cast<RankedTensorType>(sub.getOutput().getType());
    int64_t axis = ty.getRank() - 1, n = ty.getDimSize(axis);
    Value x = sub.getInput1();
    Value sq = meanOf(var, axis, n);
    auto sqm = def<tosa::MulOp>(sq);
    if (!sqm || sqm.getInput1() != d || sqm.getInput2() != d ||
        meanOf(sub.getInput2(), axis, n) != x)
      return false;
    auto g = getConstantF64(gamma), bt = getConstantF64(beta);
    if (int64_t(g->size()) != n || int64_t(bt->size()) != n ||
        x.getType() != root.getOutput().getType())
      return false;
    OpBuilder b(root);
    auto vecTy = RankedTensorType::get({n}, b.getF32Type());
    Value gc = createConstant(b, gamma.getLoc(), vecTy, *g);
    Value bc = createConstant(b, beta.getLoc(), vecTy, *bt);
    auto ln = LayerNormOp::create(b, root.getLoc(), ty, x, gc, bc,
                                  b.getF32FloatAttr(float(*getSplatF64(epsV))));
    root.getOutput().replaceAllUsesWith(ln.getOutput());
    dead.push_back(root);
    return true;
  }

  /// `reshape(v) * c` (c a scalar constant) becomes `reshape(v * c)`, so
  /// that the factor sits on v's producer and quantization can fold it
  /// into that producer's requantize (attention's 1/sqrt(d), ReduceMean's
  /// 1/n).
  bool hoistScalarMul(tosa::MulOp mul) {
    Value r, c;
    if (!either(mul.getInput1(), mul.getInput2(),
                [](Value v) { return def<tosa::ReshapeOp>(v) != nullptr; }, r,
                c))
      return false;
    auto reshape = def<tosa::ReshapeOp>(r);
    auto cTy = cast<RankedTensorType>(c.getType());
    auto val = getSplatF64(c);
    if (!val || cTy.getNumElements() != 1 || !reshape->hasOneUse() ||
        mul.getOutput().getType() != reshape.getOutput().getType())
      return false;
    Value in = reshape.getInput1();
    auto inTy = cast<RankedTensorType>(in.getType());
    OpBuilder b(mul);
    auto scalarTy = RankedTensorType::get(
        SmallVector<int64_t>(inTy.getRank(), 1), inTy.getElementType());
    Value cc = createConstant(b, c.getLoc(), scalarTy, ArrayRef<double>{*val});
    Value m = tosa::MulOp::create(b, mul.getLoc(), inTy, in, cc,
                                  mul.getShift());
    auto nr = tosa::ReshapeOp::create(b, reshape.getLoc(), mul.getType(), m,
                                      reshape.getShape());
    mul.getOutput().replaceAllUsesWith(nr.getOutput());
    dead.push_back(mul);
    return true;
  }

  /// Removes the replaced roots and whatever only they used.
  void eraseDead() {
    SmallVector<Operation *> work(dead.begin(), dead.end());
    while (!work.empty()) {
      Operation *op = work.pop_back_val();
      if (!op->use_empty() || isa<func::ReturnOp>(op))
        continue;
      SmallVector<Operation *> defs;
      for (Value v : op->getOperands())
        if (Operation *d = v.getDefiningOp())
          defs.push_back(d);
      op->erase();
      for (Operation *d : defs)
        if (d->use_empty() && !llvm::is_contained(work, d))
          work.push_back(d);
    }
    dead.clear();
  }
};

} // namespace
