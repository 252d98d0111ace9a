//===- InlineAllocaScopes.cpp - drop alloca scopes without allocas --------===//
//
// `convert-scf-to-openmp` wraps each loop body in memref.alloca_scope. Its
// canonicalization inlines a scope only when nothing inside may allocate on
// the stack, and an llvm.call_intrinsic (the VNNI kernel's dot product) has
// unknown effects, so the scope stays; `convert-scf-to-cf` then splits its
// body into blocks, which the scope's verifier refuses. A scope holding no
// alloca is a no-op: this pass inlines it.
//
//===----------------------------------------------------------------------===//
#include "qc/Conversion/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace qc {
#define GEN_PASS_DEF_QCINLINEALLOCASCOPES
#include "qc/Conversion/Passes.h.inc"
} // namespace qc

using namespace mlir;

namespace {
struct InlineAllocaScopesPass
    : public qc::impl::QCInlineAllocaScopesBase<InlineAllocaScopesPass> {
  void runOnOperation() override {
    SmallVector<memref::AllocaScopeOp> scopes;
    getOperation()->walk([&](memref::AllocaScopeOp s) { scopes.push_back(s); });
    for (memref::AllocaScopeOp s : scopes) {
      bool allocates = s->walk([](Operation *op) {
                          return isa<memref::AllocaOp, LLVM::AllocaOp>(op)
                                     ? WalkResult::interrupt()
                                     : WalkResult::advance();
                        }).wasInterrupted();
      if (allocates)
        continue;
      Block &body = s.getBodyRegion().front();
      Operation *ret = body.getTerminator();
      s->getBlock()->getOperations().splice(Block::iterator(s),
                                            body.getOperations(), body.begin(),
                                            Block::iterator(ret));
      s->replaceAllUsesWith(ret->getOperands());
      s.erase();
    }
  }
};
} // namespace
