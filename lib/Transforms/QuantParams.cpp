//===- QuantParams.cpp - choosing and reading quantization params ---------===//
#include "qc/Transforms/QuantParams.h"

#include "mlir/IR/BuiltinTypes.h"

#include <cmath>

using namespace mlir;
using namespace qc;

QParams qc::getQParams(Type qtype) {
  QParams p;
  auto q = cast<quant::QuantizedType>(qtype);
  p.qmin = q.getStorageTypeMin();
  p.qmax = q.getStorageTypeMax();
  p.bits = q.getStorageTypeIntegralWidth();
  if (auto t = dyn_cast<quant::UniformQuantizedType>(signedStorage(q))) {
    p.qmin = t.getStorageTypeMin();
    p.qmax = t.getStorageTypeMax();
    p.scales.push_back(t.getScale());
    p.zeroPoints.push_back(t.getZeroPoint());
  } else if (auto sc = dyn_cast<quant::UniformQuantizedSubChannelType>(q)) {
    p.axis = 0;
    for (auto [dim, size] :
         llvm::zip(sc.getQuantizedDimensions(), sc.getBlockSizes()))
      if (dim == 1)
        p.groupSize = size;
    for (APFloat s : sc.getScales().getValues<APFloat>())
      p.scales.push_back(s.convertToDouble());
    for (APInt z : sc.getZeroPoints().getValues<APInt>())
      p.zeroPoints.push_back(z.getSExtValue());
  } else {
    auto a = cast<quant::UniformQuantizedPerAxisType>(q);
    p.axis = a.getQuantizedDimension();
    p.scales.assign(a.getScales().begin(), a.getScales().end());
    p.zeroPoints.assign(a.getZeroPoints().begin(), a.getZeroPoints().end());
  }
  return p;
}

Type qc::signedStorage(Type qtype) {
  auto t = dyn_cast<quant::UniformQuantizedType>(qtype);
  if (!t || t.isSigned() || t.getStorageTypeIntegralWidth() != 8)
    return qtype;
  return quant::UniformQuantizedType::get(
      quant::QuantizationFlags::Signed, t.getStorageType(),
      t.getExpressedType(), t.getScale(), t.getZeroPoint() - 128,
      t.getStorageTypeMin() - 128, t.getStorageTypeMax() - 128);
}

quant::UniformQuantizedType
qc::toUnsigned(quant::UniformQuantizedType t) {
  return quant::UniformQuantizedType::get(
      0, t.getStorageType(), t.getExpressedType(), t.getScale(),
      t.getZeroPoint() + 128, t.getStorageTypeMin() + 128,
      t.getStorageTypeMax() + 128);
}

quant::UniformQuantizedType qc::fixedType(MLIRContext *ctx, double scale,
                                          int64_t zp) {
  return quant::UniformQuantizedType::get(
      quant::QuantizationFlags::Signed, IntegerType::get(ctx, 8),
      Float32Type::get(ctx), scale, zp, -128, 127);
}

quant::UniformQuantizedType qc::activationType(MLIRContext *ctx, double lo,
                                               double hi) {
  lo = std::min(lo, 0.0);
  hi = std::max(hi, 0.0);
  double scale = (hi - lo) / 255.0;
  if (!(scale > 0.0)) // all-zero tensor: every scale is exact; keep it fine
    return fixedType(ctx, static_cast<float>(1.0 / 255.0), -128);
  scale = static_cast<float>(scale);
  double zpf = -128.0 - lo / scale;
  int64_t zp = static_cast<int64_t>(std::nearbyint(zpf));
  zp = std::clamp<int64_t>(zp, -128, 127);
  return fixedType(ctx, scale, zp);
}

quant::UniformQuantizedType qc::symmetricActivationType(MLIRContext *ctx,
                                                        double lo, double hi) {
  double m = std::max(std::abs(lo), std::abs(hi));
  if (!(m > 0.0))
    return fixedType(ctx, static_cast<float>(1.0 / 127.0), 0);
  return fixedType(ctx, static_cast<float>(m / 127.0), 0);
}

quant::UniformQuantizedType qc::wideType(MLIRContext *ctx, double m,
                                         double minScale) {
  double scale = std::max(m / 32767.0, minScale);
  if (!(scale > 0.0))
    scale = 1.0 / 32767.0;
  return quant::UniformQuantizedType::get(
      quant::QuantizationFlags::Signed, IntegerType::get(ctx, 16),
      Float32Type::get(ctx), static_cast<float>(scale), 0, -32768, 32767);
}
