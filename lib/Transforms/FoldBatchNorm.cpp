//===- FoldBatchNorm.cpp - fold batch norm into conv / gemm ---------------===//
#include "qc/Dialect/QC/IR/QCDialect.h"
#include "qc/Transforms/Passes.h"
#include "qc/Transforms/Utils.h"

#include <cmath>

namespace qc {
#define GEN_PASS_DEF_QCFOLDBATCHNORM
#include "qc/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;

namespace {

/// Batch norm as per-channel y = k * x + c, in double.
struct Affine {
  SmallVector<double> k, c;
};

std::optional<Affine> getAffine(BatchNormOp bn) {
  auto gamma = getConstantF64(bn.getScale());
  auto beta = getConstantF64(bn.getBias());
  auto mean = getConstantF64(bn.getMean());
  auto var = getConstantF64(bn.getVar());
  if (!gamma || !beta || !mean || !var)
    return std::nullopt;
  Affine a;
  double eps = bn.getEpsilon().convertToFloat();
  for (size_t o = 0; o < gamma->size(); ++o) {
    double k = (*gamma)[o] / std::sqrt((*var)[o] + eps);
    a.k.push_back(k);
    a.c.push_back((*beta)[o] - (*mean)[o] * k);
  }
  return a;
}

/// conv / gemm -> batch norm: scale weight rows, fold into bias.
template <typename OpTy>
LogicalResult foldIntoProducer(BatchNormOp bn, const Affine &a) {
  auto op = bn.getInput().getDefiningOp<OpTy>();
  if (!op || !op->hasOneUse())
    return failure();
  auto w = getConstantF64(op.getWeight());
  auto b = getConstantF64(op.getBias());
  if (!w || !b)
    return failure();
  size_t outCh = b->size(), per = w->size() / outCh;
  for (size_t o = 0; o < outCh; ++o) {
    for (size_t i = 0; i < per; ++i)
      (*w)[o * per + i] *= a.k[o];
    (*b)[o] = (*b)[o] * a.k[o] + a.c[o];
  }
  OpBuilder builder(op);
  Value nw = createConstant(builder, op.getWeight().getLoc(),
                            op.getWeight().getType(), *w);
  Value nb = createConstant(builder, op.getBias().getLoc(),
                            op.getBias().getType(), *b);
  op.getWeightMutable().assign(nw);
  op.getBiasMutable().assign(nb);
  op->setLoc(bn.getLoc());
  bn.replaceAllUsesWith(op.getOutput());
  bn.erase();
  return success();
}

/// batch norm -> gemm: scale weight columns, fold W * c into the bias.
LogicalResult foldIntoGemm(BatchNormOp bn, const Affine &a) {
  if (!bn->hasOneUse())
    return failure();
  auto gemm = dyn_cast<GemmOp>(*bn->user_begin());
  if (!gemm || gemm.getInput() != bn.getOutput() ||
      bn.getInput().getType().getRank() != 2)
    return failure();
  auto w = getConstantF64(gemm.getWeight());
  auto b = getConstantF64(gemm.getBias());
  if (!w || !b)
    return failure();
  size_t n = b->size(), k = a.k.size();
  for (size_t r = 0; r < n; ++r) {
    double extra = 0;
    for (size_t c = 0; c < k; ++c) {
      extra += (*w)[r * k + c] * a.c[c];
      (*w)[r * k + c] *= a.k[c];
    }
    (*b)[r] += extra;
  }
  OpBuilder builder(gemm);
  gemm.getWeightMutable().assign(createConstant(
      builder, gemm.getWeight().getLoc(), gemm.getWeight().getType(), *w));
  gemm.getBiasMutable().assign(createConstant(
      builder, gemm.getBias().getLoc(), gemm.getBias().getType(), *b));
  gemm.getInputMutable().assign(bn.getInput());
  bn.erase();
  return success();
}

struct FoldBatchNormPass
    : public qc::impl::QCFoldBatchNormBase<FoldBatchNormPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<BatchNormOp> bns;
    getOperation().walk([&](BatchNormOp bn) { bns.push_back(bn); });
    if (inputNorm != "fold" && inputNorm != "float") {
      getOperation().emitError() << "input-norm must be fold or float, got '"
                                 << inputNorm << "'";
      return signalPassFailure();
    }
    for (BatchNormOp bn : bns) {
      if (inputNorm == "float" && isa<BlockArgument>(bn.getInput())) {
        bn.emitRemark("batch norm on the model input is kept: it runs in "
                      "float32 before the input quantize");
        continue;
      }
      std::optional<Affine> a = getAffine(bn);
      if (a && (succeeded(foldIntoProducer<Conv2DOp>(bn, *a)) ||
                succeeded(foldIntoProducer<GemmOp>(bn, *a)) ||
                succeeded(foldIntoGemm(bn, *a))))
        continue;
      bn.emitRemark("batch norm not folded: it needs constant parameters "
                    "and a conv/gemm producer or a gemm as its only user");
    }
    // Drop the float constants the folds left unused.
    getOperation().walk([](arith::ConstantOp c) {
      if (c->use_empty())
        c.erase();
    });
  }
};

} // namespace
