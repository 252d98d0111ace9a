//===- GemmVNNI.h - int8 gemm on AVX-512 VNNI -------------------*- C++ -*-===//
#ifndef QC_LIB_CONVERSION_QCTOLINALG_GEMMVNNI_H
#define QC_LIB_CONVERSION_QCTOLINALG_GEMMVNNI_H

#include "qc/Dialect/QC/IR/QCDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace qc {

/// An integer gemm on AVX-512 VNNI `vpdpbusd` (or, with `sdot`, on AArch64
/// `sdot`: 4 lanes, s8 x s8, no shift): weights (`w` [N][K], bias with the
/// input zero point already folded in) packed at compile time as
/// [N/64][K/4][4 blocks][16][4], shifted to unsigned (w + 128, a byte xor:
/// vpdpbusd's unsigned operand), the input as it is; the shift's correction,
/// `-128 * sum(row of the input)`, computed at run time.
/// The [M][N] int32 product `input` (tensor<MxKxi8>) x `w`^T + `bias`
/// through the same kernel, built at `b`'s insertion point; `anchor` names
/// errors and finds the module. With `requant` (a dyadic int8 qc.requantize
/// per tensor or per output channel, its only user), the kernel applies it
/// in its epilogue and the result is [M][N] int8. With `unsignedInput`
/// (vpdpbusd only), `input` holds the bytes of the int8 operand xor 0x80
/// (a uint8 model input before the importer's flip): they are vpdpbusd's
/// unsigned operand as they are, the weights its signed one unshifted, and
/// the correction, `-128 * sum(weights of the column)`, is in the bias: no
/// row sums at run time.
mlir::FailureOr<mlir::Value> buildGemmVNNI(mlir::OpBuilder &b,
                                           mlir::Operation *anchor,
                                           mlir::Value input,
                                           llvm::ArrayRef<int64_t> w,
                                           llvm::ArrayRef<int64_t> bias,
                                           RequantizeOp requant = {},
                                           bool sdot = false,
                                           bool unsignedInput = false);

/// A private constant memref.global holding `values` (64-byte aligned),
/// created at `b`'s insertion point in a module, named `name` (made unique):
/// a kernel's packed weights, bias or requantize parameters.
mlir::memref::GlobalOp kernelGlobal(mlir::OpBuilder &b, mlir::Location loc,
                                    llvm::StringRef name,
                                    mlir::DenseElementsAttr values);
mlir::memref::GlobalOp kernelGlobal(mlir::OpBuilder &b, mlir::Location loc,
                                    llvm::StringRef name,
                                    llvm::ArrayRef<int64_t> shape,
                                    llvm::ArrayRef<int32_t> values);

/// The memref.global that `fn`'s symbol attribute `attr` names, or null.
mlir::memref::GlobalOp kernelGlobalOf(mlir::func::FuncOp fn, llvm::StringRef attr);

/// A kernel's scratch buffer of `type` (64-byte aligned): on the stack up
/// to kStackScratchBytes, else on the heap; freeScratch releases it (a
/// no-op for the stack or a null value). Create it before a serial loop, not in its body (an
/// alloca in a loop grows the stack per iteration), or at the top of an
/// scf.parallel body: qc-parallel-loops and qc-claim-shares give each
/// thread one such alloca for all the iterations it runs. A heap block per
/// depthwise channel and per pointwise pixel group took 7% of MobileNetV2's
/// samples on 2 threads.
mlir::Value scratchBuffer(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::MemRefType type);
void freeScratch(mlir::OpBuilder &b, mlir::Location loc, mlir::Value buf);

/// A private func.func declaration `name` (made unique) of type
/// (`args`) -> (), created at `b`'s insertion point in a module: a kernel
/// whose body is written later (or at once, by the caller).
mlir::func::FuncOp declareKernel(mlir::OpBuilder &b, mlir::Location loc,
                                 llvm::StringRef name, mlir::TypeRange args);

/// `requant`'s multipliers then its shifts as [2][n] int32, one per output
/// channel: a per-tensor requantize's repeated, channels past its own (the
/// kernels' padding) take its last.
llvm::SmallVector<int32_t> requantParams(RequantizeOp requant, int64_t n);

/// acc + the 4-byte dot products of the unsigned bytes `x` and the signed
/// bytes `w`, per int32 lane: one zmm `vpdpbusd` (16 lanes).
mlir::Value dpbusd(mlir::OpBuilder &b, mlir::Location loc, mlir::Value acc,
                   mlir::Value x, mlir::Value w);

/// The 4 bytes at `indices` of the i8 memref `mem` (4 input channels of one
/// output channel's packed weights) broadcast to the 64 bytes of a vpdpbusd
/// operand: a 32-bit broadcast load.
mlir::Value broadcastWord(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value mem, mlir::ValueRange indices);

/// Lane i of vals[r] to lane n i + r, for n = 1, 2 or 4 vectors of the same
/// type (shuffles: pairs of lanes, then pairs of pairs as double-width
/// elements): 4 rows of 16 bytes as [16][4] bytes, or a kernel's n
/// accumulators of interleaved columns back in column order.
mlir::Value interleaveLanes(mlir::OpBuilder &b, mlir::Location loc,
                            llvm::ArrayRef<mlir::Value> vals);

/// TOSA apply_scale with double rounding (multipliers `m`, shifts `sh`, one
/// per lane), output zero point, clamp to [lo, hi] and truncation to int8,
/// on a vector of int32 accumulators: the same arithmetic as the generic
/// lowering of qc.requantize (tosa.apply_scale), in int64 lanes.
mlir::Value requantizeLanes(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value acc, mlir::Value m, mlir::Value sh,
                            int32_t zp, int32_t lo, int32_t hi);

/// The first `count` lanes of `v` stored at `indices` of `mem` (the last
/// index runs along the lanes): a plain store for all lanes, a masked store
/// for some, a scalar store for one (LLVM 22 miscompiles one-lane masked i8
/// stores on x86). loadLanes: the same for loads, zeros past `count`.
void storeLanes(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                mlir::Value mem, mlir::ValueRange indices, int64_t count);
mlir::Value loadLanes(mlir::OpBuilder &b, mlir::Location loc,
                      mlir::VectorType ty, mlir::Value mem,
                      mlir::ValueRange indices, int64_t count);

/// A depthwise int8 convolution (stride 1 or 2, `input` NCHW batch 1,
/// unpadded: with pads, each channel's plane is first copied into a buffer
/// bordered with the input zero point; `w` [C][KH][KW], `bias` with the
/// zero point folded in), one channel per iteration of an scf.parallel,
/// with `requant` (per tensor or per channel, its only user) applied in the
/// epilogue and an int8 result (lib/Conversion/QCToLinalg/DepthwiseKernel.cpp).
/// With `vnni` (and no column dilation) 4 taps of a kernel row are one
/// vpdpbusd on a 4-byte window of the shifted input; otherwise 16-lane
/// vectors along each output row, the taps unrolled. Declares the kernel;
/// `qc-vnni-kernels` writes its body (buildDepthwiseBody). `anchor` (the
/// conv) gives the geometry and names errors.
mlir::FailureOr<mlir::Value> buildDepthwise(mlir::OpBuilder &b, Conv2DOp anchor,
                                            mlir::Value input,
                                            llvm::ArrayRef<int64_t> w,
                                            llvm::ArrayRef<int64_t> bias,
                                            RequantizeOp requant, bool vnni);
mlir::LogicalResult buildDepthwiseBody(mlir::func::FuncOp fn, bool parallel);

/// A 1x1 stride-1 int8 conv (batch 1, NCHW, no padding; `w` [F][C], `bias`
/// with the input zero point folded in) on AVX-512 VNNI without im2col:
/// vectors along the pixels of each output row, so input and output stay
/// NCHW (lib/Conversion/QCToLinalg/PointwiseVNNI.cpp). Declares the kernel;
/// `qc-vnni-kernels` writes its body (buildPointwiseBody).
mlir::FailureOr<mlir::Value> buildPointwiseVNNI(mlir::OpBuilder &b,
                                                Conv2DOp anchor,
                                                llvm::ArrayRef<int64_t> w,
                                                llvm::ArrayRef<int64_t> bias,
                                                RequantizeOp requant);
mlir::LogicalResult buildPointwiseBody(mlir::func::FuncOp fn, bool parallel);

/// A group-1 int8 conv (batch 1, NCHW, any kernel, stride, dilation and
/// padding) on AVX-512 VNNI without im2col: the padded input is split into
/// its stride phases with 4 channels interleaved per pixel, so each tap is
/// a shifted contiguous read and the output is computed on the phase grid
/// (its extra columns dropped) (lib/Conversion/QCToLinalg/DirectConvVNNI.cpp).
/// Declares the kernel; `qc-vnni-kernels` writes its body
/// (buildDirectConvBody).
mlir::FailureOr<mlir::Value> buildDirectConvVNNI(mlir::OpBuilder &b,
                                                 Conv2DOp anchor,
                                                 llvm::ArrayRef<int64_t> w,
                                                 llvm::ArrayRef<int64_t> bias,
                                                 RequantizeOp requant);
mlir::LogicalResult buildDirectConvBody(mlir::func::FuncOp fn, bool parallel);
/// The body of the direct conv's input relayout (`qc_dc_x4`, declared with
/// `qc.x4_geom`): the NCHW input split into stride phases, 4 channels
/// interleaved per pixel, padded with the zero point and shifted to
/// unsigned, one X4 row per scf.parallel iteration, 16 pixels per vector.
mlir::LogicalResult buildRelayoutBody(mlir::func::FuncOp fn, bool parallel);

} // namespace qc

#endif
