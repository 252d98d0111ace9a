//===- Utils.cpp - helpers shared by qc passes ----------------------------===//
#include "qc/Transforms/Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

std::string qc::getTensorName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc)) {
    for (Location l : llvm::reverse(fused.getLocations())) {
      std::string n = getTensorName(l);
      if (!n.empty())
        return n;
    }
  }
  return "";
}

std::string qc::getTensorName(Value v) {
  if (Operation *op = v.getDefiningOp())
    return getTensorName(op->getLoc());
  return getTensorName(v.getLoc());
}

/// f(T()) for the C++ integer type T of `width` bits (8 to 64), else none:
/// typed reads and writes of dense integer storage.
template <typename F>
static auto byWidth(unsigned width, F f) -> std::optional<decltype(f(int8_t()))> {
  switch (width) {
  case 8:
    return f(int8_t());
  case 16:
    return f(int16_t());
  case 32:
    return f(int32_t());
  case 64:
    return f(int64_t());
  default:
    return std::nullopt;
  }
}

std::optional<SmallVector<double>> qc::getConstantF64(Value v) {
  DenseFPElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  // Typed reads where the storage allows: an APFloat per element made
  // reading ResNet-18's 11M weights take most of a second.
  Type elt = attr.getElementType();
  if (elt.isF32()) {
    auto vals = attr.getValues<float>();
    return SmallVector<double>(vals.begin(), vals.end());
  }
  if (elt.isF64()) {
    auto vals = attr.getValues<double>();
    return SmallVector<double>(vals.begin(), vals.end());
  }
  SmallVector<double> out;
  out.reserve(attr.getNumElements());
  for (APFloat f : attr.getValues<APFloat>())
    out.push_back(f.convertToDouble());
  return out;
}

std::optional<SmallVector<int64_t>> qc::getConstantI64(Value v) {
  DenseIntElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  auto intTy = dyn_cast<IntegerType>(attr.getElementType());
  if (intTy && !intTy.isUnsigned())
    if (auto out = byWidth(intTy.getWidth(), [&](auto zero) {
          auto vals = attr.getValues<decltype(zero)>();
          return SmallVector<int64_t>(vals.begin(), vals.end());
        }))
      return *out;
  SmallVector<int64_t> out;
  out.reserve(attr.getNumElements());
  for (APInt i : attr.getValues<APInt>())
    out.push_back(i.getSExtValue());
  return out;
}

Value qc::createConstant(OpBuilder &b, Location loc, RankedTensorType type,
                         ArrayRef<double> values) {
  SmallVector<float> f(values.begin(), values.end());
  auto attr = DenseElementsAttr::get(type, ArrayRef<float>(f));
  return arith::ConstantOp::create(b, loc, attr);
}

Value qc::createConstant(OpBuilder &b, Location loc, RankedTensorType type,
                         ArrayRef<int64_t> values) {
  unsigned w = type.getElementType().getIntOrFloatBitWidth();
  // Typed storage where the width allows (an APInt per element is slow on
  // large weights); values wrap to the width as APInt's truncation does.
  if (!type.getElementType().isUnsignedInteger())
    if (auto attr = byWidth(w, [&](auto zero) {
          using T = decltype(zero);
          SmallVector<T> vals;
          vals.reserve(values.size());
          for (int64_t v : values)
            vals.push_back(static_cast<T>(static_cast<std::make_unsigned_t<T>>(v)));
          return DenseElementsAttr::get(type, ArrayRef<T>(vals));
        }))
      return arith::ConstantOp::create(b, loc, *attr);
  SmallVector<APInt> ints;
  ints.reserve(values.size());
  for (int64_t v : values)
    ints.push_back(APInt(w, v, /*isSigned=*/true, /*implicitTrunc=*/true));
  auto attr = DenseElementsAttr::get(type, ints);
  return arith::ConstantOp::create(b, loc, attr);
}

std::optional<double> qc::getSplatF64(Value v) {
  auto vals = getConstantF64(v);
  if (!vals || vals->empty() ||
      llvm::any_of(*vals, [&](double x) { return x != vals->front(); }))
    return std::nullopt;
  return vals->front();
}

std::optional<std::pair<Operation *, double>> qc::getFusedScalarMul(Value v) {
  if (!v.hasOneUse())
    return std::nullopt;
  auto mul = dyn_cast<tosa::MulOp>(*v.user_begin());
  if (!mul || mul.getOutput().getType() != v.getType())
    return std::nullopt;
  Value other = mul.getInput1() == v ? mul.getInput2() : mul.getInput1();
  if (other == v ||
      cast<RankedTensorType>(other.getType()).getNumElements() != 1)
    return std::nullopt;
  auto c = getSplatF64(other);
  if (!c)
    return std::nullopt;
  return std::make_pair(mul.getOperation(), *c);
}

void qc::hoistStaticAllocas(OpBuilder &b, Block &body, IRMapping &map) {
  for (Operation &op : body)
    if (auto a = dyn_cast<memref::AllocaOp>(op); a && !a->getNumOperands())
      map.map(a.getResult(), b.clone(op)->getResult(0));
}

void qc::cloneBody(OpBuilder &b, Block &body, IRMapping &map) {
  for (Operation &op : body.without_terminator())
    if (!isa<memref::AllocaOp>(op) || !map.contains(op.getResult(0)))
      b.clone(op, map);
}
