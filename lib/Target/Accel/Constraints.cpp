//===- Constraints.cpp - which integer ops the etpu runs, and why not -----===//
#include "qc/Target/Accel/Constraints.h"
#include "qc/Dialect/QC/IR/QCDialect.h"
#include "qc/Transforms/Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>
#include <sstream>

using namespace mlir;
using namespace qc::accel;

const char *const qc::accel::kReasonCost = "ACCEL-COST";
const char *const qc::accel::kReasonLowering = "ACCEL-LOWERING";
const char *const qc::accel::kReasonRegionIO = "ACCEL-REGION-IO";
const char *const qc::accel::kReasonViewAlone = "ACCEL-VIEW-ALONE";

const char *qc::accel::unitKindName(UnitKind k) {
  switch (k) {
  case UnitKind::Conv:
    return "conv2d";
  case UnitKind::Depthwise:
    return "depthwise_conv2d";
  case UnitKind::Matmul:
    return "matmul";
  case UnitKind::MaxPool:
    return "max_pool";
  case UnitKind::SumPool:
    return "avg_pool";
  case UnitKind::Add:
    return "add";
  case UnitKind::Lut:
    return "lut";
  case UnitKind::Requant:
    return "requantize";
  case UnitKind::View:
    return "reshape";
  case UnitKind::Other:
    return "other";
  }
  return "?";
}

SmallVector<Value> Unit::inputs() const {
  SmallVector<Value> in;
  for (Operation *op : ops)
    for (Value v : op->getOperands())
      if (!llvm::is_contained(ops, v.getDefiningOp()) &&
          !llvm::is_contained(in, v))
        in.push_back(v);
  return in;
}

static bool isI8(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.getElementType().isInteger(8);
}

static bool isConstant(Value v) {
  return v.getDefiningOp() && v.getDefiningOp()->hasTrait<OpTrait::ConstantLike>();
}

/// The dyadic int8 requantize that is `v`'s only user, if any.
static qc::RequantizeOp requantUser(Value v) {
  if (!v.hasOneUse())
    return {};
  auto r = dyn_cast<qc::RequantizeOp>(*v.getUsers().begin());
  return r && r.isDyadic() && isI8(r.getOutput()) ? r : qc::RequantizeOp();
}

/// An int8 -> int32 requantize whose only user is `user`.
static qc::RequantizeOp widening(Value v, Operation *user) {
  auto r = v.getDefiningOp<qc::RequantizeOp>();
  if (!r || !r.isDyadic() || !isI8(r.getInput()) || isI8(r.getOutput()) ||
      !r.getOutput().hasOneUse() || *r.getOutput().getUsers().begin() != user)
    return {};
  return r;
}

static int64_t numElements(Value v) {
  auto t = cast<ShapedType>(v.getType());
  return t.hasStaticShape() ? t.getNumElements() : 0;
}

std::vector<Unit> qc::accel::formUnits(func::FuncOp f) {
  llvm::DenseSet<Operation *> taken;
  std::vector<Unit> units;
  auto add = [&](UnitKind kind, Operation *anchor,
                 SmallVector<Operation *> ops) {
    Unit u;
    u.kind = kind;
    u.anchor = anchor;
    llvm::sort(ops, [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
    u.ops = ops;
    u.last = ops.back();
    u.name = qc::getTensorName(anchor->getLoc());
    if (u.name.empty())
      u.name = anchor->getName().getStringRef().str() + "#" +
               std::to_string(units.size());
    for (Operation *op : ops)
      taken.insert(op);
    units.push_back(std::move(u));
  };
  // An add's input rescales come before it in program order: claim them for
  // the add's unit before the walk meets them.
  llvm::DenseMap<Operation *, SmallVector<Operation *>> addGroups;
  for (auto a : f.getBody().front().getOps<tosa::AddOp>()) {
    auto l = widening(a.getInput1(), a), r = widening(a.getInput2(), a);
    auto out = requantUser(a.getOutput());
    if (!l || !r || !out || l == r)
      continue;
    addGroups[a] = {l, r, a, out};
    for (Operation *m : addGroups[a])
      taken.insert(m);
  }
  for (Operation &o : f.getBody().front()) {
    Operation *op = &o;
    if (auto it = addGroups.find(op); it != addGroups.end()) {
      add(UnitKind::Add, op, it->second);
      continue;
    }
    if (taken.count(op) || op->hasTrait<OpTrait::ConstantLike>() ||
        isa<tosa::ConstShapeOp, func::ReturnOp>(op))
      continue;
    if (auto conv = dyn_cast<qc::Conv2DOp>(op)) {
      SmallVector<Operation *> ops{op};
      if (auto r = requantUser(conv.getOutput()))
        ops.push_back(r);
      auto in = cast<ShapedType>(conv.getInput().getType());
      auto out = cast<ShapedType>(conv.getOutput().getType());
      auto w = cast<ShapedType>(conv.getWeight().getType());
      int64_t g = conv.getGroup();
      bool dw = g > 1 && g == in.getDimSize(1) && g == out.getDimSize(1);
      add(dw ? UnitKind::Depthwise : UnitKind::Conv, op, ops);
      units.back().macs = numElements(conv.getOutput()) * w.getDimSize(1) *
                          w.getDimSize(2) * w.getDimSize(3);
    } else if (auto gemm = dyn_cast<qc::GemmOp>(op)) {
      SmallVector<Operation *> ops{op};
      if (auto r = requantUser(gemm.getOutput()))
        ops.push_back(r);
      add(UnitKind::Matmul, op, ops);
      units.back().macs = numElements(gemm.getOutput()) *
                          cast<ShapedType>(gemm.getWeight().getType()).getDimSize(1);
    } else if (isa<qc::MaxPool2DOp>(op)) {
      add(UnitKind::MaxPool, op, {op});
    } else if (auto sp = dyn_cast<qc::SumPool2DOp>(op)) {
      SmallVector<Operation *> ops{op};
      if (auto r = requantUser(sp.getOutput()))
        ops.push_back(r);
      add(UnitKind::SumPool, op, ops);
    } else if (isa<tosa::AddOp>(op)) {
      add(UnitKind::Add, op, {op}); // not a quantized add: ACCEL-FUSE says why
    } else if (auto t = dyn_cast<tosa::TableOp>(op)) {
      add(UnitKind::Lut, op, {op});
    } else if (auto r = dyn_cast<qc::RequantizeOp>(op);
               r && isI8(r.getInput()) && isI8(r.getOutput())) {
      add(UnitKind::Requant, op, {op});
    } else if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(op)) {
      add(UnitKind::View, op, {op});
    } else {
      add(UnitKind::Other, op, {op});
    }
  }
  return units;
}

//===----------------------------------------------------------------------===//
// The registry
//===----------------------------------------------------------------------===//

namespace {
using Check = std::optional<std::string>;
std::string str(ArrayRef<int64_t> v) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < v.size(); ++i)
    os << (i ? ", " : "") << v[i];
  os << "]";
  return os.str();
}
std::string typeStr(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}
bool isMac(const Unit &u) {
  return u.kind == UnitKind::Conv || u.kind == UnitKind::Depthwise ||
         u.kind == UnitKind::Matmul;
}
qc::Conv2DOp conv(const Unit &u) { return dyn_cast<qc::Conv2DOp>(u.anchor); }
/// Checks each of a pair of values against [lo, hi].
Check inRange(const char *what, ArrayRef<int64_t> v, int64_t lo, int64_t hi) {
  for (int64_t x : v)
    if (x < lo || x > hi)
      return std::string(what) + " " + str(v) + " outside [" +
             std::to_string(lo) + ", " + std::to_string(hi) + "]";
  return std::nullopt;
}
} // namespace

const std::vector<Constraint> &qc::accel::constraintRegistry() {
  static const std::vector<Constraint> registry = {
      {"ACCEL-OP-UNSUPPORTED", "every op",
       "The op has an etpu form: conv2d, depthwise conv2d, gemm, max / "
       "average pooling, quantized add, int8 table lookup, int8 requantize, "
       "reshape.",
       [](const Unit &u, const AccelTarget &) -> Check {
         if (u.kind != UnitKind::Other)
           return std::nullopt;
         StringRef n = u.anchor->getName().getStringRef();
         if (n == "qc.quantize")
           return std::string("qc.quantize (float -> int8) needs a float "
                              "datapath, which the accelerator lacks");
         if (n == "qc.dequantize")
           return std::string("qc.dequantize (int8 -> float) needs a float "
                              "datapath, which the accelerator lacks");
         return "'" + n.str() + "' has no etpu form";
       }},
      {"ACCEL-STATIC", "every supported op", "Every shape is static.",
       [](const Unit &u, const AccelTarget &) -> Check {
         if (u.kind == UnitKind::Other)
           return std::nullopt;
         for (Value v : u.inputs())
           if (!cast<ShapedType>(v.getType()).hasStaticShape())
             return "operand " + typeStr(v.getType()) + " has a dynamic shape";
         return std::nullopt;
       }},
      {"ACCEL-DTYPE", "every supported op",
       "Activations in and out are int8 (int32 only inside a fused unit).",
       [](const Unit &u, const AccelTarget &) -> Check {
         if (u.kind == UnitKind::Other)
           return std::nullopt;
         std::string bad;
         for (Value v : u.inputs())
           if (!isConstant(v) && !isI8(v))
             bad += (bad.empty() ? "" : ", ") + std::string("input ") +
                    typeStr(v.getType());
         if (!isI8(u.result()))
           bad += (bad.empty() ? "" : ", ") + std::string("result ") +
                  typeStr(u.result().getType());
         if (bad.empty())
           return std::nullopt;
         return bad + ": needs int8";
       }},
      {"ACCEL-RANK", "every supported op",
       "Rank <= 4; a 4-D tensor has batch 1.",
       [](const Unit &u, const AccelTarget &) -> Check {
         if (u.kind == UnitKind::Other)
           return std::nullopt;
         auto t = cast<ShapedType>(u.result().getType());
         if (t.getRank() > 4)
           return "result rank " + std::to_string(t.getRank()) + " > 4";
         if (t.getRank() == 4 && t.getDimSize(0) != 1)
           return "batch " + std::to_string(t.getDimSize(0)) + " != 1";
         return std::nullopt;
       }},
      {"ACCEL-DIM", "every supported op", "Every dimension is <= 65535.",
       [](const Unit &u, const AccelTarget &) -> Check {
         if (u.kind == UnitKind::Other)
           return std::nullopt;
         for (Value v : u.inputs())
           for (int64_t d : cast<ShapedType>(v.getType()).getShape())
             if (d > 65535)
               return "dimension " + std::to_string(d) + " of " +
                      typeStr(v.getType()) + " > 65535";
         return std::nullopt;
       }},
      {"ACCEL-FUSE", "conv2d, depthwise conv2d, gemm, average pool, add",
       "The int32 result feeds exactly one dyadic int8 requantize (the "
       "accelerator writes int8 only); an add's inputs are each rescaled to "
       "int32 by a requantize used only by the add.",
       [](const Unit &u, const AccelTarget &) -> Check {
         Value r = u.anchor->getResult(0);
         if (isMac(u) || u.kind == UnitKind::SumPool) {
           if (u.ops.size() == 2)
             return std::nullopt;
           return "the int32 result has " +
                  std::to_string(std::distance(r.getUses().begin(),
                                               r.getUses().end())) +
                  " user(s), not one dyadic int8 requantize";
         }
         if (u.kind == UnitKind::Add && u.ops.size() != 4)
           return std::string("inputs are not both int8 -> int32 requantizes "
                              "used only here, or the sum is not requantized "
                              "to int8 by its only user");
         return std::nullopt;
       }},
      {"ACCEL-WEIGHTS", "conv2d, depthwise conv2d, gemm",
       "Weights and bias are constants; weight zero point 0 (symmetric).",
       [](const Unit &u, const AccelTarget &) -> Check {
         if (!isMac(u))
           return std::nullopt;
         Operation *op = u.anchor;
         std::string bad;
         if (!isConstant(op->getOperand(1)))
           bad += "weights are not a constant";
         if (!isConstant(op->getOperand(2)))
           bad += std::string(bad.empty() ? "" : "; ") + "bias is not a constant";
         auto wzp = op->getAttrOfType<IntegerAttr>("weight_zp");
         if (wzp && wzp.getInt() != 0)
           bad += std::string(bad.empty() ? "" : "; ") + "weight_zp = " +
                  std::to_string(wzp.getInt()) + " (needs 0)";
         return bad.empty() ? Check() : Check(bad);
       }},
      {"ACCEL-ACC-OVERFLOW", "conv2d, depthwise conv2d, gemm",
       "No int32 accumulator can overflow: per output channel, "
       "sum(abs(w)) * max(abs(x - input_zp)) + abs(bias) < 2^31.",
       [](const Unit &u, const AccelTarget &) -> Check {
         if (!isMac(u))
           return std::nullopt;
         auto w = qc::getConstantI64(u.anchor->getOperand(1));
         auto b = qc::getConstantI64(u.anchor->getOperand(2));
         auto zpAttr = u.anchor->getAttrOfType<IntegerAttr>("input_zp");
         if (!w || !b || b->empty())
           return std::nullopt; // ACCEL-WEIGHTS reports it
         int64_t zp = zpAttr ? zpAttr.getInt() : 0;
         int64_t maxAbs = std::max(std::abs(-128 - zp), std::abs(127 - zp));
         size_t per = w->size() / b->size();
         for (size_t c = 0; c < b->size(); ++c) {
           int64_t s = 0;
           for (size_t k = 0; k < per; ++k)
             s += std::abs((*w)[c * per + k]);
           int64_t bound = s * maxAbs + std::abs((*b)[c]);
           if (bound >= (int64_t(1) << 31))
             return "output channel " + std::to_string(c) + ": sum|w| " +
                    std::to_string(s) + " * " + std::to_string(maxAbs) +
                    " + |bias| " + std::to_string(std::abs((*b)[c])) + " = " +
                    std::to_string(bound) + " >= 2^31";
         }
         return std::nullopt;
       }},
      {"ACCEL-CONV-KERNEL", "conv2d, depthwise conv2d",
       "Kernel height and width in [1, 16].",
       [](const Unit &u, const AccelTarget &) -> Check {
         auto c = conv(u);
         if (!c)
           return std::nullopt;
         auto w = cast<ShapedType>(c.getWeight().getType());
         return inRange("kernel", {w.getDimSize(2), w.getDimSize(3)}, 1, 16);
       }},
      {"ACCEL-CONV-STRIDE", "conv2d, depthwise conv2d", "Strides in [1, 4].",
       [](const Unit &u, const AccelTarget &) -> Check {
         auto c = conv(u);
         return c ? inRange("strides", c.getStrides(), 1, 4) : Check();
       }},
      {"ACCEL-CONV-DILATION", "conv2d, depthwise conv2d",
       "Dilations in [1, 4] and a dilated kernel of at most 32.",
       [](const Unit &u, const AccelTarget &) -> Check {
         auto c = conv(u);
         if (!c)
           return std::nullopt;
         if (auto e = inRange("dilations", c.getDilations(), 1, 4))
           return e;
         auto w = cast<ShapedType>(c.getWeight().getType());
         int64_t dh = (w.getDimSize(2) - 1) * c.getDilations()[0] + 1;
         int64_t dw = (w.getDimSize(3) - 1) * c.getDilations()[1] + 1;
         return inRange("dilated kernel", {dh, dw}, 1, 32);
       }},
      {"ACCEL-CONV-GROUPS", "conv2d",
       "group = 1, or depthwise (group = input channels = output channels).",
       [](const Unit &u, const AccelTarget &) -> Check {
         auto c = conv(u);
         if (!c || u.kind == UnitKind::Depthwise || c.getGroup() == 1)
           return std::nullopt;
         return "group " + std::to_string(c.getGroup()) +
                " is neither 1 nor depthwise";
       }},
      {"ACCEL-CONV-PAD", "conv2d, depthwise conv2d",
       "Each pad is at most (kernel - 1) * dilation.",
       [](const Unit &u, const AccelTarget &) -> Check {
         auto c = conv(u);
         if (!c)
           return std::nullopt;
         auto w = cast<ShapedType>(c.getWeight().getType());
         ArrayRef<int64_t> p = c.getPads(), d = c.getDilations();
         int64_t mh = (w.getDimSize(2) - 1) * d[0], mw = (w.getDimSize(3) - 1) * d[1];
         if (p[0] > mh || p[2] > mh || p[1] > mw || p[3] > mw)
           return "pads " + str(p) + " exceed the dilated kernel extent " +
                  str({mh, mw});
         return std::nullopt;
       }},
      {"ACCEL-POOL-WINDOW", "max pool, average pool",
       "Window in [1, 16] x [1, 16], strides in [1, 16], pads smaller than "
       "the window.",
       [](const Unit &u, const AccelTarget &) -> Check {
         if (u.kind != UnitKind::MaxPool && u.kind != UnitKind::SumPool)
           return std::nullopt;
         auto k = u.anchor->getAttrOfType<DenseI64ArrayAttr>("kernel").asArrayRef();
         auto s = u.anchor->getAttrOfType<DenseI64ArrayAttr>("strides").asArrayRef();
         auto p = u.anchor->getAttrOfType<DenseI64ArrayAttr>("pads").asArrayRef();
         if (auto e = inRange("window", k, 1, 16))
           return e;
         if (auto e = inRange("strides", s, 1, 16))
           return e;
         if (p[0] >= k[0] || p[2] >= k[0] || p[1] >= k[1] || p[3] >= k[1])
           return "pads " + str(p) + " not smaller than the window " + str(k);
         return std::nullopt;
       }},
      {"ACCEL-REQUANT", "every op with a requantize",
       "Requantizes are dyadic with shift in [1, 62] (TFLite exponent in "
       "[-31, 30]); one fused after a conv, gemm or pool has input zero "
       "point 0; a standalone one is int8 -> int8 and per tensor.",
       [](const Unit &u, const AccelTarget &) -> Check {
         for (Operation *op : u.ops) {
           auto r = dyn_cast<qc::RequantizeOp>(op);
           if (!r)
             continue;
           if (!r.isDyadic())
             return std::string("a requantize has no dyadic form");
           if ((isMac(u) || u.kind == UnitKind::SumPool) && r.getInputZp() != 0)
             return "the fused requantize has input_zp " +
                    std::to_string(r.getInputZp()) + " (needs 0)";
           ArrayRef<int32_t> shifts = *r.getShift();
           for (int32_t s : shifts)
             if (s < 1 || s > 62)
               return "requantize shift " + std::to_string(s) +
                      " outside [1, 62]";
           if (u.kind == UnitKind::Requant && r.getMultiplier()->size() != 1)
             return "requantize has " +
                    std::to_string(r.getMultiplier()->size()) +
                    " per-channel factors (the vector unit applies one)";
         }
         return std::nullopt;
       }},
      {"ACCEL-ADD-FORM", "add",
       "Equal shapes (no broadcast); inputs rescaled per tensor to int32 "
       "with output zero point 0 and no clamp.",
       [](const Unit &u, const AccelTarget &) -> Check {
         if (u.kind != UnitKind::Add)
           return std::nullopt;
         auto a = cast<tosa::AddOp>(u.anchor);
         if (a.getInput1().getType() != a.getInput2().getType())
           return "broadcast add " + typeStr(a.getInput1().getType()) + " + " +
                  typeStr(a.getInput2().getType());
         for (Value in : {a.getInput1(), a.getInput2()}) {
           auto r = in.getDefiningOp<qc::RequantizeOp>();
           if (!r || u.ops.size() != 4)
             continue;
           if (r.getMultiplier()->size() != 1 || r.getOutputZp() != 0 ||
               r.getMin() != INT32_MIN || r.getMax() != INT32_MAX)
             return std::string("an input rescale is per channel, has an "
                                "output zero point or clamps");
         }
         return std::nullopt;
       }},
      {"ACCEL-LUT", "table lookup",
       "int8 input and a constant 256-entry int8 table.",
       [](const Unit &u, const AccelTarget &) -> Check {
         if (u.kind != UnitKind::Lut)
           return std::nullopt;
         Value table = u.anchor->getOperand(1);
         if (!isConstant(table) || !isI8(table) || numElements(table) != 256)
           return "table " + typeStr(table.getType()) +
                  " is not a constant 256-entry int8 table";
         return std::nullopt;
       }},
  };
  return registry;
}

void qc::accel::checkUnit(Unit &u, const AccelTarget &t) {
  for (const Constraint &c : constraintRegistry())
    if (auto msg = c.check(u, t))
      u.reasons.push_back(std::string(c.code) + ": " + *msg);
}

std::string qc::accel::supportedOpsMarkdown() {
  std::ostringstream os;
  os << "# etpu: supported ops and reason codes\n\n"
        "Generated by `qc-accel supported-ops` from the constraint registry "
        "(lib/Target/Accel/Constraints.cpp); do not edit.\n\n"
        "Every integer op is checked against every constraint below and "
        "every violation is reported, with the offending values, in "
        "`accel-report.json` and the printed table.\n\n"
        "| code | applies to | rule |\n|---|---|---|\n";
  for (const Constraint &c : constraintRegistry())
    os << "| `" << c.code << "` | " << c.appliesTo << " | " << c.rule << " |\n";
  os << "\nReasons the partitioner adds:\n\n| code | rule |\n|---|---|\n"
     << "| `" << kReasonCost
     << "` | A region whose estimated accelerator time (DMA in and out "
        "included) is not below the CPU model's time goes back to the CPU. |\n"
     << "| `" << kReasonLowering
     << "` | Scheduling the region failed (e.g. a tile does not fit the "
        "memories); the diagnostic is the reason. |\n"
     << "| `" << kReasonRegionIO
     << "` | A region needs more than 8 input and output buffers. |\n"
     << "| `" << kReasonViewAlone
     << "` | A reshape joins the region of its producer; alone it is free "
        "on the CPU. |\n";
  os << "\nTargets:\n\n";
  for (const std::string &n : AccelTarget::names())
    os << "- `" << AccelTarget::get(n)->describe() << "`\n";
  return os.str();
}
