//===- GemmVNNI.h - int8 gemm on AVX-512 VNNI -------------------*- C++ -*-===//
#ifndef QC_LIB_CONVERSION_QCTOLINALG_GEMMVNNI_H
#define QC_LIB_CONVERSION_QCTOLINALG_GEMMVNNI_H

#include "qc/Dialect/QC/IR/QCDialect.h"

namespace qc {

/// An integer gemm on AVX-512 VNNI `vpdpbusd` (or, with `sdot`, on AArch64
/// `sdot`: 4 lanes, signed input, no shift): weights (`w` [N][K], bias
/// with the input zero point already folded in) packed at compile time as
/// [N/16][K/4][16][4], the input shifted to unsigned (x + 128, a byte xor)
/// with the shift's correction `-128 * sum(w)` folded into the bias.
/// The [M][N] int32 product `input` (tensor<MxKxi8>) x `w`^T + `bias`
/// through the same kernel, built at `b`'s insertion point; `anchor` names
/// errors and finds the module. With `requant` (a dyadic int8 qc.requantize
/// per tensor or per output channel, its only user), the kernel applies it
/// in its epilogue and the result is [M][N] int8.
mlir::FailureOr<mlir::Value> buildGemmVNNI(mlir::OpBuilder &b,
                                           mlir::Operation *anchor,
                                           mlir::Value input,
                                           llvm::ArrayRef<int64_t> w,
                                           llvm::ArrayRef<int64_t> bias,
                                           RequantizeOp requant = {},
                                           bool sdot = false);

} // namespace qc

#endif
