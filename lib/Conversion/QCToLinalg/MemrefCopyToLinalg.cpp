//===- MemrefCopyToLinalg.cpp - memref.copy as linalg.copy ----------------===//
#include "qc/Conversion/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace qc {
#define GEN_PASS_DEF_QCMEMREFCOPYTOLINALG
#include "qc/Conversion/Passes.h.inc"
} // namespace qc

using namespace mlir;

namespace {
struct MemrefCopyToLinalgPass
    : public qc::impl::QCMemrefCopyToLinalgBase<MemrefCopyToLinalgPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation()->walk([&](memref::CopyOp c) { copies.push_back(c); });
    for (memref::CopyOp c : copies) {
      OpBuilder b(c);
      linalg::CopyOp::create(b, c.getLoc(), c.getSource(), c.getTarget());
      c.erase();
    }
  }
};
} // namespace
