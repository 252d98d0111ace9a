//===- ExportGraph.cpp - integer graph as JSON for the reference ----------===//
#include "qc/Transforms/Passes.h"
#include "qc/Transforms/QuantParams.h"
#include "qc/Transforms/Utils.h"

#include "mlir/IR/AsmState.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/Base64.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/ToolOutputFile.h"

namespace qc {
#define GEN_PASS_DEF_QCEXPORTGRAPH
#include "qc/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;

namespace {

std::string typeName(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  t.print(os);
  return s;
}

llvm::json::Value tensorType(Type t) {
  auto rt = dyn_cast<RankedTensorType>(t);
  if (!rt)
    return llvm::json::Object{{"type", typeName(t)}};
  return llvm::json::Object{
      {"shape", llvm::json::Array(rt.getShape())},
      {"dtype", typeName(rt.getElementType())}};
}

llvm::json::Value attrToJson(Attribute a) {
  if (auto b = dyn_cast<BoolAttr>(a))
    return b.getValue();
  if (auto i = dyn_cast<IntegerAttr>(a))
    return i.getValue().getSExtValue();
  if (auto f = dyn_cast<FloatAttr>(a))
    return f.getValueAsDouble();
  if (auto s = dyn_cast<StringAttr>(a))
    return s.str();
  if (auto arr = dyn_cast<DenseI64ArrayAttr>(a))
    return llvm::json::Array(arr.asArrayRef());
  if (auto arr = dyn_cast<DenseI32ArrayAttr>(a))
    return llvm::json::Array(arr.asArrayRef());
  if (auto arr = dyn_cast<DenseF64ArrayAttr>(a))
    return llvm::json::Array(arr.asArrayRef());
  if (auto arr = dyn_cast<ArrayAttr>(a)) {
    llvm::json::Array out;
    for (Attribute e : arr)
      out.push_back(attrToJson(e));
    return out;
  }
  if (auto dense = dyn_cast<DenseElementsAttr>(a)) {
    // Integer tensors as their raw little-endian bytes in base64 (a JSON
    // number per weight made ResNet-18's export take 4 s).
    auto intTy = dyn_cast<IntegerType>(dense.getElementType());
    unsigned width = intTy ? intTy.getWidth() : 0;
    if (!dense.isSplat() &&
        (width == 8 || width == 16 || width == 32 || width == 64)) {
      llvm::json::Object o{{"b64", llvm::encodeBase64(dense.getRawData())}};
      o["type"] = tensorType(dense.getType());
      return o;
    }
    llvm::json::Array data;
    if (dense.getElementType().isIntOrIndex())
      for (APInt v : dense.getValues<APInt>())
        data.push_back(v.getSExtValue());
    else
      for (APFloat v : dense.getValues<APFloat>())
        data.push_back(v.convertToDouble());
    llvm::json::Object o{{"data", std::move(data)}};
    o["type"] = tensorType(dense.getType());
    return o;
  }
  if (auto t = dyn_cast<TypeAttr>(a)) {
    if (isa<quant::QuantizedType>(t.getValue())) {
      QParams q = getQParams(t.getValue());
      auto qt = cast<quant::QuantizedType>(t.getValue());
      // Zero points and bounds are those of the int8 storage qc computes
      // in; `storage` names the declared type (u8: add 128 back).
      std::string storage = (qt.isSigned() ? "i" : "u") +
                            std::to_string(q.bits);
      return llvm::json::Object{
          {"scales", llvm::json::Array(q.scales)},
          {"zero_points", llvm::json::Array(q.zeroPoints)},
          {"axis", q.axis},
          {"group_size", q.groupSize},
          {"storage", storage},
          {"qmin", q.qmin},
          {"qmax", q.qmax}};
    }
    return typeName(t.getValue());
  }
  std::string s;
  llvm::raw_string_ostream os(s);
  a.print(os);
  return s;
}

struct ExportGraphPass : public qc::impl::QCExportGraphBase<ExportGraphPass> {
  using Base::Base;

  void runOnOperation() override {
    DenseMap<Value, int64_t> ids;
    auto id = [&](Value v) {
      auto it = ids.try_emplace(v, ids.size());
      return it.first->second;
    };
    llvm::json::Array funcs;
    getOperation().walk([&](func::FuncOp f) {
      llvm::json::Array args, ops;
      for (BlockArgument a : f.getArguments())
        args.push_back(llvm::json::Object{{"id", id(a)},
                                          {"name", getTensorName(a.getLoc())},
                                          {"type", tensorType(a.getType())}});
      f.walk([&](Operation *op) {
        if (op == f)
          return;
        llvm::json::Array operands, results, types;
        for (Value v : op->getOperands())
          operands.push_back(id(v));
        for (Value v : op->getResults()) {
          results.push_back(id(v));
          types.push_back(tensorType(v.getType()));
        }
        llvm::json::Object attrs;
        for (NamedAttribute na : op->getAttrs()) {
          if (!withConstants && isa<DenseElementsAttr>(na.getValue()))
            continue;
          attrs[na.getName().str()] = attrToJson(na.getValue());
        }
        ops.push_back(llvm::json::Object{
            {"op", op->getName().getStringRef().str()},
            {"name", getTensorName(op->getLoc())},
            {"operands", std::move(operands)},
            {"results", std::move(results)},
            {"types", std::move(types)},
            {"attrs", std::move(attrs)}});
      });
      funcs.push_back(llvm::json::Object{{"name", f.getSymName().str()},
                                         {"args", std::move(args)},
                                         {"ops", std::move(ops)}});
    });
    std::string err;
    auto out = openOutputFile(outputFile, &err);
    if (!out) {
      getOperation().emitError() << "cannot write '" << outputFile
                                 << "': " << err;
      return signalPassFailure();
    }
    out->os() << llvm::json::Value(llvm::json::Object{
        {"format", "qc-graph"}, {"version", 1}, {"functions", std::move(funcs)}});
    out->os() << "\n";
    out->keep();
  }
};

} // namespace
