//===- QCAccelOps.cpp - etpu accelerator dialect --------------------------===//
#include "qc/Dialect/QCAccel/IR/QCAccelDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace qc::accel;

#include "qc/Dialect/QCAccel/IR/QCAccelOpsDialect.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "qc/Dialect/QCAccel/IR/QCAccelOpsTypes.cpp.inc"

void QCAccelDialect::initialize() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "qc/Dialect/QCAccel/IR/QCAccelOpsTypes.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "qc/Dialect/QCAccel/IR/QCAccelOps.cpp.inc"
      >();
}

#define GET_OP_CLASSES
#include "qc/Dialect/QCAccel/IR/QCAccelOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Region level
//===----------------------------------------------------------------------===//

LogicalResult LaunchOp::verifySymbolUses(SymbolTableCollection &symbols) {
  Operation *callee = symbols.lookupNearestSymbolFrom(*this, getCalleeAttr());
  if (!callee)
    return emitOpError("callee '") << getCallee() << "' does not exist";
  if (auto fn = dyn_cast<func::FuncOp>(callee)) {
    if (TypeRange(fn.getFunctionType().getInputs()) !=
            TypeRange(getArgs().getTypes()) ||
        TypeRange(fn.getFunctionType().getResults()) !=
            TypeRange(getResults().getTypes()))
      return emitOpError("types do not match the callee's ")
             << fn.getFunctionType();
    return success();
  }
  auto prog = dyn_cast<ProgramOp>(callee);
  if (!prog)
    return emitOpError("callee must be a func.func or a qc_accel.program");
  if (prog.getInputBytes().size() != getArgs().size() ||
      prog.getOutputBytes().size() != getResults().size())
    return emitOpError("operand / result count does not match program '")
           << getCallee() << "'";
  return success();
}

LogicalResult LaunchOp::verify() { return success(); }

/// Checks the requantize epilogue: factors per channel (or one), dyadic
/// shifts TFLite can apply, clamp inside int8.
static LogicalResult verifyRequant(Operation *op, ArrayRef<int32_t> mult,
                                   ArrayRef<int32_t> shift, int32_t lo,
                                   int32_t hi, int64_t channels) {
  if (mult.size() != shift.size())
    return op->emitOpError("has ") << mult.size() << " multipliers and "
                                   << shift.size() << " shifts";
  if (mult.size() != 1 && int64_t(mult.size()) != channels)
    return op->emitOpError("needs 1 or ")
           << channels << " requantize factors, got " << mult.size();
  for (int32_t s : shift)
    if (s < 1 || s > 62)
      return op->emitOpError("shift ") << s << " outside [1, 62]";
  if (lo > hi || lo < -128 || hi > 127)
    return op->emitOpError("clamp [") << lo << ", " << hi
                                      << "] is not inside int8";
  return success();
}

static LogicalResult verifyConvLike(Operation *op, RankedTensorType in,
                                    RankedTensorType w, RankedTensorType bias,
                                    RankedTensorType out, bool depthwise) {
  if (in.getRank() != 4 || w.getRank() != 4 || out.getRank() != 4)
    return op->emitOpError("expects NCHW input / output and OIHW weights");
  int64_t cout = w.getDimSize(0);
  if (bias.getRank() != 1 || bias.getDimSize(0) != cout)
    return op->emitOpError("bias must have ") << cout << " elements";
  if (out.getDimSize(1) != cout)
    return op->emitOpError("output channels ")
           << out.getDimSize(1) << " differ from the weights' " << cout;
  if (depthwise ? (w.getDimSize(1) != 1 || in.getDimSize(1) != cout)
                : w.getDimSize(1) != in.getDimSize(1))
    return op->emitOpError("weight input channels do not match the input");
  return success();
}

LogicalResult Conv2DOp::verify() {
  if (failed(verifyConvLike(*this, getInput().getType(), getWeight().getType(),
                            getBias().getType(), getOutput().getType(), false)))
    return failure();
  return verifyRequant(*this, getMultiplier(), getShift(), getMin(), getMax(),
                       getOutput().getType().getDimSize(1));
}

LogicalResult DepthwiseConv2DOp::verify() {
  if (failed(verifyConvLike(*this, getInput().getType(), getWeight().getType(),
                            getBias().getType(), getOutput().getType(), true)))
    return failure();
  return verifyRequant(*this, getMultiplier(), getShift(), getMin(), getMax(),
                       getOutput().getType().getDimSize(1));
}

LogicalResult MatmulOp::verify() {
  auto in = getInput().getType(), w = getWeight().getType();
  auto out = getOutput().getType();
  if (in.getRank() != 2 || w.getRank() != 2 || out.getRank() != 2 ||
      in.getDimSize(1) != w.getDimSize(1) ||
      out.getDimSize(0) != in.getDimSize(0) ||
      out.getDimSize(1) != w.getDimSize(0))
    return emitOpError("expects MxK input, NxK weights and an MxN output");
  if (getBias().getType().getNumElements() != w.getDimSize(0))
    return emitOpError("bias must have ") << w.getDimSize(0) << " elements";
  return verifyRequant(*this, getMultiplier(), getShift(), getMin(), getMax(),
                       w.getDimSize(0));
}

LogicalResult PoolOp::verify() {
  if (getKind() != "max" && getKind() != "sum")
    return emitOpError("kind must be \"max\" or \"sum\", got \"")
           << getKind() << "\"";
  if (getInput().getType().getRank() != 4 || getKernel().size() != 2 ||
      getStrides().size() != 2 || getPads().size() != 4)
    return emitOpError("expects NCHW tensors, a 2-D kernel and 4 pads");
  return verifyRequant(*this, getMultiplier(), getShift(), getMin(), getMax(),
                       getOutput().getType().getDimSize(1));
}

LogicalResult EltwiseOp::verify() {
  if (getKind() != "add")
    return emitOpError("kind must be \"add\", got \"") << getKind() << "\"";
  if (getLhs().getType() != getRhs().getType() ||
      getLhs().getType().getShape() != getOutput().getType().getShape())
    return emitOpError("operands and result must have one shape");
  return verifyRequant(*this, getMultiplier(), getShift(), getMin(), getMax(),
                       1);
}

LogicalResult LutOp::verify() {
  if (getTable().getType().getNumElements() != 256)
    return emitOpError("table must have 256 entries");
  if (getInput().getType().getShape() != getOutput().getType().getShape())
    return emitOpError("input and output shapes differ");
  return success();
}

LogicalResult RequantizeOp::verify() {
  if (getInput().getType().getShape() != getOutput().getType().getShape())
    return emitOpError("input and output shapes differ");
  return verifyRequant(*this, getMultiplier(), getShift(), getMin(), getMax(),
                       1);
}

//===----------------------------------------------------------------------===//
// Scheduled level
//===----------------------------------------------------------------------===//

LogicalResult ProgramOp::verify() {
  if (!AccelTarget::get(getTarget().str()))
    return emitOpError("unknown target '") << getTarget() << "'";
  auto w = dyn_cast<ShapedType>(getWeights().getType());
  if (!w || w.getRank() != 1 || !w.getElementType().isInteger(8))
    return emitOpError("weights must be a 1-D i8 tensor");
  return success();
}

Command qc::accel::commandFromOp(
    Operation *op, llvm::function_ref<int32_t(Operation *)> indexOf) {
  StringRef mnemonic = op->getName().stripDialect();
  const CmdInfo *info = lookupCommand(mnemonic.str());
  Command c{info->kind, 0, {}, {}};
  c.layer = static_cast<int32_t>(
      op->getAttrOfType<IntegerAttr>("layer").getValue().getSExtValue());
  for (Value w : op->getOperands())
    c.waits.push_back(indexOf(w.getDefiningOp()));
  for (const char *f : info->fields)
    c.f.push_back(op->getAttrOfType<IntegerAttr>(f).getValue().getSExtValue());
  return c;
}

Operation *qc::accel::buildCommandOp(OpBuilder &b, Location loc,
                                     const Command &c,
                                     ArrayRef<Value> tokens) {
  const CmdInfo &info = c.info();
  OperationState st(loc, std::string("qc_accel.") + info.name);
  for (int32_t w : c.waits)
    st.addOperands(tokens[w]);
  st.addTypes(TokenType::get(b.getContext()));
  st.addAttribute("layer", b.getI64IntegerAttr(c.layer));
  for (size_t i = 0; i < info.fields.size(); ++i)
    st.addAttribute(info.fields[i], b.getI64IntegerAttr(c.f[i]));
  return b.create(st);
}

static std::vector<Command> commandsOf(Region &region) {
  llvm::DenseMap<Operation *, int32_t> index;
  std::vector<Command> cmds;
  if (region.empty())
    return cmds;
  for (Operation &op : region.front()) {
    cmds.push_back(commandFromOp(&op, [&](Operation *d) {
      auto it = index.find(d);
      return it == index.end() ? -1 : it->second;
    }));
    index[&op] = static_cast<int32_t>(cmds.size() - 1);
  }
  return cmds;
}

FailureOr<RegionProgram> qc::accel::regionFromOp(ProgramOp op) {
  RegionProgram r;
  r.name = op.getSymName().str();
  r.inputBytes.assign(op.getInputBytes().begin(), op.getInputBytes().end());
  r.outputBytes.assign(op.getOutputBytes().begin(), op.getOutputBytes().end());
  r.scratchBytes = op.getScratchBytes();
  for (Attribute a : op.getLayers())
    r.layers.push_back(cast<StringAttr>(a).str());
  auto dense = dyn_cast<DenseIntElementsAttr>(op.getWeights());
  if (!dense)
    return op.emitOpError("weights must be dense integer elements");
  for (APInt v : dense.getValues<APInt>())
    r.weights.push_back(static_cast<int8_t>(v.getSExtValue()));
  r.init = commandsOf(op.getInit());
  r.body = commandsOf(op.getBody());
  return r;
}

/// Shared verifier of the scheduled ops: the command's static checks against
/// the parent program's target and DRAM buffers.
static LogicalResult verifyCommandOp(Operation *op) {
  auto prog = op->getParentOfType<ProgramOp>();
  auto target = AccelTarget::get(prog.getTarget().str());
  if (!target)
    return success(); // reported by the program
  for (Value w : op->getOperands())
    if (w.getDefiningOp() && w.getDefiningOp()->getBlock() != op->getBlock())
      return op->emitOpError("waits for a token of another command list");
  Command c = commandFromOp(op, [](Operation *) { return 0; });
  std::vector<int64_t> dram(prog.getInputBytes().begin(),
                            prog.getInputBytes().end());
  dram.insert(dram.end(), prog.getOutputBytes().begin(),
              prog.getOutputBytes().end());
  dram.push_back(prog.getScratchBytes());
  dram.push_back(cast<ShapedType>(prog.getWeights().getType()).getNumElements());
  if (auto e = checkCommand(c, *target, dram))
    return op->emitOpError(*e);
  int64_t layers = prog.getLayers().size();
  if (c.layer < 0 || c.layer >= std::max<int64_t>(layers, 1))
    return op->emitOpError("layer ") << c.layer << " outside the program's "
                                     << layers << " layers";
  return success();
}

#define QC_ACCEL_CMD_VERIFIER(Op)                                              \
  LogicalResult Op::verify() { return verifyCommandOp(*this); }
QC_ACCEL_CMD_VERIFIER(DmaInOp)
QC_ACCEL_CMD_VERIFIER(DmaWeightsOp)
QC_ACCEL_CMD_VERIFIER(DmaOutOp)
QC_ACCEL_CMD_VERIFIER(Im2ColOp)
QC_ACCEL_CMD_VERIFIER(LoadWeightsOp)
QC_ACCEL_CMD_VERIFIER(MxuTileOp)
QC_ACCEL_CMD_VERIFIER(VecDepthwiseOp)
QC_ACCEL_CMD_VERIFIER(VecPoolOp)
QC_ACCEL_CMD_VERIFIER(ActivateOp)
QC_ACCEL_CMD_VERIFIER(VecAddOp)
QC_ACCEL_CMD_VERIFIER(VecLutOp)
QC_ACCEL_CMD_VERIFIER(VecRequantOp)
#undef QC_ACCEL_CMD_VERIFIER
