//===- QuantParams.h - choosing and reading quantization params -*- C++ -*-===//
#ifndef QC_TRANSFORMS_QUANTPARAMS_H
#define QC_TRANSFORMS_QUANTPARAMS_H

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "llvm/ADT/SmallVector.h"

namespace qc {

/// Scale(s) and zero point(s) of a !quant.uniform type, per tensor (axis -1)
/// or per axis.
struct QParams {
  llvm::SmallVector<double> scales;
  llvm::SmallVector<int64_t> zeroPoints;
  int64_t axis = -1;
  /// Sub-channel (blockwise) weights: axis 0 per output channel and blocks
  /// of `groupSize` along dimension 1; `scales` is row-major
  /// [channels][groups]. 0 when there are no blocks.
  int64_t groupSize = 0;
  int64_t qmin = 0, qmax = 0;
  unsigned bits = 8;

  double scale() const { return scales.front(); }
  int64_t zp() const { return zeroPoints.front(); }
};

/// Reads the parameters of a UniformQuantizedType / PerAxisType, or of a
/// SubChannelType blocked along dimension 1 only. An unsigned 8-bit type
/// reads as its signed equivalent (zero point and bounds minus 128): qc
/// computes uint8 activations in int8 storage, which is exact.
QParams getQParams(mlir::Type qtype);

/// The int8 type computing the same values as a per-tensor uint8 type
/// (zero point - 128); other types unchanged.
mlir::Type signedStorage(mlir::Type qtype);

/// Unsigned 8-bit type with the same scale, for `activation-type=uint8`
/// (zero point + 128).
mlir::quant::UniformQuantizedType toUnsigned(mlir::quant::UniformQuantizedType t);

/// Asymmetric int8 activation parameters for the range [lo, hi] (widened to
/// contain 0). The scale is rounded to float32 so run-time float32 division
/// by it is exact to the value recorded.
mlir::quant::UniformQuantizedType
activationType(mlir::MLIRContext *ctx, double lo, double hi);

/// Symmetric int8 activation parameters: zero point 0, scale
/// max(|lo|, |hi|) / 127 (float32).
mlir::quant::UniformQuantizedType
symmetricActivationType(mlir::MLIRContext *ctx, double lo, double hi);

/// Symmetric 16-bit parameters for the inputs of the integer-only kernels
/// (i-softmax, i-GELU, i-LayerNorm): `!quant.uniform<i16:f32, s>` with range
/// [-32768, 32767] (ONNX int16) and s = max(m / 32767, minScale) (float32). qc stores
/// such values in int32 tensors.
mlir::quant::UniformQuantizedType wideType(mlir::MLIRContext *ctx, double m,
                                           double minScale);

/// A per-tensor int8 type with a fixed scale and zero point.
mlir::quant::UniformQuantizedType fixedType(mlir::MLIRContext *ctx,
                                            double scale, int64_t zp);

} // namespace qc

#endif // QC_TRANSFORMS_QUANTPARAMS_H
