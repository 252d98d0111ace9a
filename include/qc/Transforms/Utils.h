//===- Utils.h - helpers shared by qc passes --------------------*- C++ -*-===//
#ifndef QC_TRANSFORMS_UTILS_H
#define QC_TRANSFORMS_UTILS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/Value.h"

#include <string>

namespace qc {

/// Clones the static memref.alloca ops at the top level of `body`, a loop
/// body about to be cloned into another loop, at `b`'s insertion point and
/// maps them in `map`: one buffer for every iteration, where an alloca in
/// the new loop would grow the stack with each.
void hoistStaticAllocas(mlir::OpBuilder &b, mlir::Block &body, mlir::IRMapping &map);

/// Clones `body`'s ops but its terminator and the allocas `map` already
/// maps (hoistStaticAllocas) at `b`'s insertion point.
void cloneBody(mlir::OpBuilder &b, mlir::Block &body, mlir::IRMapping &map);

/// The ONNX tensor name a location carries: the outermost NameLoc, or the
/// last name of a FusedLoc. Empty when there is none.
std::string getTensorName(mlir::Location loc);

/// The name of a value: its defining op's location, or the block argument's.
std::string getTensorName(mlir::Value v);

/// Values of a constant float tensor, widened to double.
std::optional<llvm::SmallVector<double>> getConstantF64(mlir::Value v);

/// Values of a constant integer tensor, sign-extended to int64.
std::optional<llvm::SmallVector<int64_t>> getConstantI64(mlir::Value v);

/// The value of a constant float tensor whose elements are all equal.
std::optional<double> getSplatF64(mlir::Value v);

/// When the only user of `v` is a `tosa.mul` by a one-element constant: that
/// multiply and its factor (quantization folds it into v's requantize).
std::optional<std::pair<mlir::Operation *, double>>
getFusedScalarMul(mlir::Value v);

/// An arith.constant tensor of `type` (f32 or signless integer elements)
/// holding `values` (rounded to f32 or truncated to the integer width).
mlir::Value createConstant(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::RankedTensorType type,
                           llvm::ArrayRef<double> values);
mlir::Value createConstant(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::RankedTensorType type,
                           llvm::ArrayRef<int64_t> values);

} // namespace qc

#endif // QC_TRANSFORMS_UTILS_H
