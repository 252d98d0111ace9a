//===- QCOps.cpp - qc op verifiers ----------------------------------------===//
#include "qc/Dialect/QC/IR/QCDialect.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace qc;

int64_t qc::windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                             int64_t padBefore, int64_t padAfter,
                             int64_t dilation) {
  int64_t span = dilation * (kernel - 1) + 1;
  return (in + padBefore + padAfter - span) / stride + 1;
}

static bool isF32(Type t) { return t.isF32(); }
static bool isInt(Type t, unsigned width) { return t.isSignlessInteger(width); }

/// A sub-channel (blockwise) type: as upstream's quant ops check it, the
/// scales have the tensor's rank and each dimension is a whole number of
/// blocks. qc uses blocks of 1 along dimension 0 and of G along dimension 1.
static LogicalResult verifyBlocks(Operation *op,
                                  quant::UniformQuantizedSubChannelType q,
                                  RankedTensorType tensor) {
  if (!q.getExpressedType().isF32())
    return op->emitOpError("qtype must express f32, got ")
           << q.getExpressedType();
  ArrayRef<int64_t> scaleShape = q.getScales().getType().getShape();
  if (static_cast<int64_t>(scaleShape.size()) != tensor.getRank())
    return op->emitOpError("qtype scales have rank ")
           << scaleShape.size() << ", the tensor has rank "
           << tensor.getRank();
  for (auto [d, size] : llvm::enumerate(tensor.getShape())) {
    int64_t block = size;
    for (auto [dim, b] :
         llvm::zip(q.getQuantizedDimensions(), q.getBlockSizes()))
      if (static_cast<size_t>(dim) == d)
        block = b;
    if (d > 1 && block != size)
      return op->emitOpError("qtype blocks dimension ")
             << d << "; only dimensions 0 and 1 may be blocked";
    if (ShapedType::isDynamic(size) || size % block != 0 ||
        scaleShape[d] != size / block)
      return op->emitOpError("qtype block size ")
             << block << " does not tile dimension " << d << " of size "
             << size << " into " << scaleShape[d] << " blocks";
  }
  return success();
}

/// Checks a quantization type attribute against the tensor it describes.
static LogicalResult verifyQType(Operation *op, Type qtype,
                                 RankedTensorType tensor,
                                 bool allowBlocks = false) {
  auto q = dyn_cast<quant::QuantizedType>(qtype);
  if (q && allowBlocks && isa<quant::UniformQuantizedSubChannelType>(q))
    return verifyBlocks(op, cast<quant::UniformQuantizedSubChannelType>(q),
                        tensor);
  if (!q || !isa<quant::UniformQuantizedType,
                 quant::UniformQuantizedPerAxisType>(q))
    return op->emitOpError("qtype must be a !quant.uniform type")
           << (allowBlocks ? "" : " per tensor or per axis (blockwise types "
                                  "only on qc.fake_quant)")
           << ", got " << qtype;
  if (!q.getExpressedType().isF32())
    return op->emitOpError("qtype must express f32, got ")
           << q.getExpressedType();
  if (auto axis = dyn_cast<quant::UniformQuantizedPerAxisType>(q)) {
    int64_t d = axis.getQuantizedDimension();
    if (d >= tensor.getRank())
      return op->emitOpError("qtype axis ")
             << d << " out of range for rank " << tensor.getRank();
    int64_t n = tensor.getDimSize(d);
    if (!ShapedType::isDynamic(n) &&
        n != static_cast<int64_t>(axis.getScales().size()))
      return op->emitOpError("qtype has ")
             << axis.getScales().size() << " scales but dimension " << d
             << " has size " << n;
  }
  return success();
}

static quant::QuantizedType asQType(Type t) {
  return dyn_cast<quant::QuantizedType>(t);
}

LogicalResult FakeQuantOp::verify() {
  return verifyQType(*this, getQtype(), getInput().getType(),
                     /*allowBlocks=*/true);
}

/// The float side of a quantize / dequantize matches `qtype`; the integer
/// side (`which`) has the qtype's storage width.
static LogicalResult verifyStorage(Operation *op, Type qtype,
                                   RankedTensorType floatSide, Type intElt,
                                   StringRef which) {
  if (failed(verifyQType(op, qtype, floatSide)))
    return failure();
  unsigned w = asQType(qtype).getStorageTypeIntegralWidth();
  if (!isInt(intElt, w))
    return op->emitOpError() << which << " element type must be i" << w
                             << " to match the qtype storage";
  return success();
}

LogicalResult QuantizeOp::verify() {
  return verifyStorage(*this, getQtype(), getInput().getType(),
                       getOutput().getType().getElementType(), "result");
}

LogicalResult DequantizeOp::verify() {
  return verifyStorage(*this, getQtype(), getOutput().getType(),
                       getInput().getType().getElementType(), "input");
}

LogicalResult RequantizeOp::verify() {
  auto inTy = getInput().getType();
  auto outTy = getOutput().getType();
  int64_t rank = inTy.getRank();
  int64_t axis = getAxis();
  if (!getScale() && !isDyadic())
    return emitOpError("needs a scale or a multiplier and shift");
  size_t n = getNumFactors();
  if (axis == -1) {
    if (n != 1)
      return emitOpError("per-tensor requantize needs 1 scale, got ") << n;
  } else {
    if (axis < 0 || axis >= rank)
      return emitOpError("axis ") << axis << " out of range for rank " << rank;
    int64_t dim = inTy.getDimSize(axis);
    if (!ShapedType::isDynamic(dim) && static_cast<int64_t>(n) != dim)
      return emitOpError("has ") << n << " scales but dimension " << axis
                                 << " has size " << dim;
  }
  for (double s : getScale().value_or(ArrayRef<double>()))
    if (!(s > 0.0) || !std::isfinite(s))
      return emitOpError("scale must be finite and positive, got ") << s;
  if (getMultiplier().has_value() != getShift().has_value())
    return emitOpError("multiplier and shift must be given together");
  if (isDyadic()) {
    if (getMultiplier()->size() != getShift()->size() ||
        (getScale() && getScale()->size() != getMultiplier()->size()))
      return emitOpError("multiplier and shift need one entry per scale");
    for (auto [m, s] : llvm::zip(*getMultiplier(), *getShift())) {
      if (m < 0)
        return emitOpError("multiplier must be non-negative, got ") << m;
      if (s < 2 || s > 62)
        return emitOpError("shift must be in [2, 62], got ") << s;
    }
  }
  unsigned w = outTy.getElementType().getIntOrFloatBitWidth();
  int64_t lo = -(int64_t(1) << (w - 1)), hi = (int64_t(1) << (w - 1)) - 1;
  if (getMin() > getMax())
    return emitOpError("min ") << getMin() << " exceeds max " << getMax();
  if (getMin() < lo || getMax() > hi)
    return emitOpError("clamp [") << getMin() << ", " << getMax()
                                  << "] exceeds the result type range";
  unsigned inW = inTy.getElementType().getIntOrFloatBitWidth();
  int64_t izp = getInputZp();
  if (inW < 32 && (izp < -(int64_t(1) << (inW - 1)) ||
                   izp > (int64_t(1) << (inW - 1)) - 1))
    return emitOpError("input_zp ") << izp << " outside the input type range";
  return success();
}

LogicalResult BatchNormOp::verify() {
  auto inTy = getInput().getType();
  if (inTy.getRank() < 2)
    return emitOpError("input must have rank >= 2 (N, C, ...)");
  int64_t c = inTy.getDimSize(1);
  for (Value p : {getScale(), getBias(), getMean(), getVar()}) {
    auto t = cast<RankedTensorType>(p.getType());
    if (t.getRank() != 1 || t.getDimSize(0) != c)
      return emitOpError("parameters must be 1-D of size ") << c;
  }
  if (getOutput().getType() != inTy)
    return emitOpError("result type must equal the input type");
  return success();
}

/// Checks window attributes (2 spatial dims, pads as [t, l, b, r]).
static LogicalResult verifyWindow(Operation *op, ArrayRef<int64_t> kernel,
                                  ArrayRef<int64_t> strides,
                                  ArrayRef<int64_t> pads,
                                  ArrayRef<int64_t> dilations) {
  if (kernel.size() != 2 || strides.size() != 2 || dilations.size() != 2)
    return op->emitOpError("kernel, strides and dilations need 2 entries");
  if (pads.size() != 4)
    return op->emitOpError("pads need 4 entries [top, left, bottom, right]");
  for (int64_t v : llvm::concat<const int64_t>(kernel, strides, dilations))
    if (v <= 0)
      return op->emitOpError("kernel, strides and dilations must be positive");
  for (int64_t p : pads)
    if (p < 0)
      return op->emitOpError("pads must be non-negative");
  return success();
}

/// Checks the NCHW result shape of a windowed op.
static LogicalResult verifyWindowResult(Operation *op, RankedTensorType in,
                                        RankedTensorType out, int64_t channels,
                                        ArrayRef<int64_t> kernel,
                                        ArrayRef<int64_t> strides,
                                        ArrayRef<int64_t> pads,
                                        ArrayRef<int64_t> dilations) {
  if (in.getRank() != 4 || out.getRank() != 4)
    return op->emitOpError("input and result must be rank 4 (NCHW)");
  SmallVector<int64_t> expect = {in.getDimSize(0), channels};
  for (int i = 0; i < 2; ++i) {
    int64_t o = windowOutputSize(in.getDimSize(2 + i), kernel[i], strides[i],
                                 pads[i], pads[2 + i], dilations[i]);
    if (o <= 0)
      return op->emitOpError("window does not fit the input: spatial dim ")
             << i << " would have size " << o;
    expect.push_back(o);
  }
  if (out.getShape() != ArrayRef<int64_t>(expect)) {
    std::string s;
    llvm::raw_string_ostream os(s);
    llvm::interleave(expect, os, "x");
    return op->emitOpError("result shape must be ") << s;
  }
  return success();
}

/// Float form: all f32, no zero points. Integer form: i8 x i8 + i32 -> i32
/// with both zero points.
static LogicalResult verifyMacTypes(Operation *op, Type in, Type w, Type b,
                                    Type out, std::optional<int32_t> izp,
                                    std::optional<int32_t> wzp) {
  if (isF32(in)) {
    if (!isF32(w) || !isF32(b) || !isF32(out))
      return op->emitOpError("float form needs f32 weight, bias and result");
    if (izp || wzp)
      return op->emitOpError("float form takes no zero points");
    return success();
  }
  if (!isInt(in, 8) || !isInt(w, 8) || !isInt(b, 32) || !isInt(out, 32))
    return op->emitOpError(
        "integer form needs i8 input and weight, i32 bias and result");
  if (!izp || !wzp)
    return op->emitOpError("integer form needs input_zp and weight_zp");
  if (*izp < -128 || *izp > 127 || *wzp < -128 || *wzp > 127)
    return op->emitOpError("zero points must fit i8");
  return success();
}

LogicalResult Conv2DOp::verify() {
  auto in = getInput().getType(), w = getWeight().getType();
  auto b = getBias().getType(), out = getOutput().getType();
  if (w.getRank() != 4)
    return emitOpError("weight must be rank 4 (OIHW)");
  if (b.getRank() != 1 || b.getDimSize(0) != w.getDimSize(0))
    return emitOpError("bias must be 1-D with one entry per output channel");
  int64_t g = getGroup();
  if (in.getRank() != 4)
    return emitOpError("input and result must be rank 4 (NCHW)");
  int64_t c = in.getDimSize(1), f = w.getDimSize(0);
  if (g <= 0 || c % g || f % g)
    return emitOpError("group ") << g << " must divide input channels " << c
                                 << " and output channels " << f;
  if (w.getDimSize(1) != c / g)
    return emitOpError("weight dim 1 must be input channels / group = ")
           << c / g;
  SmallVector<int64_t> kernel = {w.getDimSize(2), w.getDimSize(3)};
  if (failed(verifyWindow(*this, kernel, getStrides(), getPads(),
                          getDilations())) ||
      failed(verifyWindowResult(*this, in, out, f, kernel, getStrides(),
                                getPads(), getDilations())))
    return failure();
  return verifyMacTypes(*this, in.getElementType(), w.getElementType(),
                        b.getElementType(), out.getElementType(), getInputZp(),
                        getWeightZp());
}

LogicalResult GemmOp::verify() {
  auto a = getInput().getType(), w = getWeight().getType();
  auto b = getBias().getType(), out = getOutput().getType();
  if (a.getRank() != 2 || w.getRank() != 2 || out.getRank() != 2)
    return emitOpError("input, weight and result must be rank 2");
  if (a.getDimSize(1) != w.getDimSize(1))
    return emitOpError("reduction sizes differ: input has ")
           << a.getDimSize(1) << ", weight has " << w.getDimSize(1);
  if (b.getRank() != 1 || b.getDimSize(0) != w.getDimSize(0))
    return emitOpError("bias must be 1-D of size N = ") << w.getDimSize(0);
  if (out.getDimSize(0) != a.getDimSize(0) ||
      out.getDimSize(1) != w.getDimSize(0))
    return emitOpError("result must be [M, N]");
  return verifyMacTypes(*this, a.getElementType(), w.getElementType(),
                        b.getElementType(), out.getElementType(), getInputZp(),
                        getWeightZp());
}

static const int64_t kUnitDilations[2] = {1, 1};

/// Window attributes and NCHW result shape of a pooling op.
template <typename PoolOp>
static LogicalResult verifyPool(PoolOp op) {
  auto in = op.getInput().getType(), out = op.getOutput().getType();
  if (failed(verifyWindow(op, op.getKernel(), op.getStrides(), op.getPads(),
                          kUnitDilations)))
    return failure();
  int64_t channels = in.getRank() == 4 ? in.getDimSize(1) : 0;
  return verifyWindowResult(op, in, out, channels, op.getKernel(),
                            op.getStrides(), op.getPads(), kUnitDilations);
}

LogicalResult MaxPool2DOp::verify() {
  Type in = getInput().getType().getElementType();
  if (in != getOutput().getType().getElementType() || isInt(in, 32))
    return emitOpError("input and result must both be f32 or both i8");
  return verifyPool(*this);
}

LogicalResult AvgPool2DOp::verify() { return verifyPool(*this); }

LogicalResult SumPool2DOp::verify() {
  if (getInputZp() < -128 || getInputZp() > 127)
    return emitOpError("input_zp must fit i8");
  return verifyPool(*this);
}

LogicalResult SoftmaxOp::verify() {
  if (getInput().getType().getRank() < 1)
    return emitOpError("input must have rank >= 1");
  return success();
}

LogicalResult LayerNormOp::verify() {
  auto in = getInput().getType();
  if (in.getRank() < 1 || in != getOutput().getType())
    return emitOpError("input and result must have the same type, rank >= 1");
  int64_t n = in.getDimSize(in.getRank() - 1);
  for (auto [what, t] : {std::pair{"scale", getScale().getType()},
                         std::pair{"bias", getBias().getType()}})
    if (t.getRank() != 1 || t.getDimSize(0) != n)
      return emitOpError() << what << " must be 1-D of size " << n
                           << " (the last axis)";
  if (!(getEpsilon().convertToFloat() >= 0.0f))
    return emitOpError("epsilon must be >= 0");
  return success();
}

LogicalResult GeluOp::verify() {
  if (getApproximate() != "none" && getApproximate() != "tanh")
    return emitOpError("approximate must be \"none\" or \"tanh\", got \"")
           << getApproximate() << "\"";
  return success();
}

LogicalResult ISoftmaxOp::verify() {
  if (getInput().getType().getRank() < 1)
    return emitOpError("input must have rank >= 1");
  if (getX0() >= 0 || getBInt() <= 0 || getCInt() <= 0)
    return emitOpError("needs x0 < 0, b_int > 0 and c_int > 0 (i-exp "
                       "constants of a positive scale)");
  if (getCInt() >= (int64_t(1) << 33))
    return emitOpError("c_int must be < 2^33 so that i-exp fits int64 "
                       "(input scale too small)");
  if (getPreShift() < 0 || getPreShift() > 62 || getShift() < 1 ||
      getShift() > 62)
    return emitOpError("pre_shift must be in [0, 62] and shift in [1, 62]");
  if (getMultiplier() < 0 || getMultiplier() >= (int64_t(1) << 31))
    return emitOpError("multiplier must be in [0, 2^31)");
  if (getOutputZp() < -128 || getOutputZp() > 127)
    return emitOpError("output_zp must fit i8");
  return success();
}

LogicalResult IGeluOp::verify() {
  if (getBInt() >= 0 || getCInt() >= 0 || getOne() >= 0)
    return emitOpError("needs b_int, c_int and one < 0 (i-GELU constants of "
                       "a positive scale)");
  return success();
}

LogicalResult ILayerNormOp::verify() {
  auto in = getInput().getType();
  if (in.getRank() < 1)
    return emitOpError("input must have rank >= 1");
  int64_t n = in.getDimSize(in.getRank() - 1);
  if (int64_t(getGamma().size()) != n || int64_t(getBeta().size()) != n)
    return emitOpError() << "gamma and beta need " << n
                         << " entries (the last axis)";
  if (getShift() < 0 || getShift() > 31 || getEps() < 0)
    return emitOpError("shift must be in [0, 31] and eps >= 0");
  if (getK() < 1 || getK() > 62)
    return emitOpError("k must be in [1, 62]");
  if (getOutputZp() < -128 || getOutputZp() > 127)
    return emitOpError("output_zp must fit i8");
  return success();
}

#define GET_OP_CLASSES
#include "qc/Dialect/QC/IR/QCOps.cpp.inc"
