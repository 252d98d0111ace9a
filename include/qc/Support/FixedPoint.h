//===- FixedPoint.h - integer requantization helpers ------------*- C++ -*-===//
//
// Compile-time and reference helpers for fixed-point (dyadic) rescaling, as
// specified in docs/design.md ("Rounding"): TFLite QuantizeMultiplier, the
// gemmlowp primitives SaturatingRoundingDoublingHighMul and
// RoundingDivideByPOT, and TOSA apply_scale_32.
//
//===----------------------------------------------------------------------===//
#ifndef QC_SUPPORT_FIXEDPOINT_H
#define QC_SUPPORT_FIXEDPOINT_H

#include <cstdint>
#include <optional>

namespace qc {

/// A real factor M ~= multiplier * 2^-shift (TOSA convention: shift is a
/// right shift; multiplier in [2^30, 2^31) or 0).
struct Dyadic {
  int32_t multiplier;
  int32_t shift;
};

/// TFLite QuantizeMultiplier: M ~= m * 2^(e - 31), m in [2^30, 2^31).
/// Returns {m, e}; e > 0 is a left shift. M below 2^-32 flushes to {0, 0}.
void quantizeMultiplier(double m, int32_t &multiplier, int &exponent);

/// The dyadic form of M for TOSA apply_scale_32 (shift = 31 - e). Returns
/// std::nullopt when M is negative, not finite, or too large for a shift in
/// [2, 62] (M >= 2^29).
std::optional<Dyadic> toDyadic(double m);

/// gemmlowp SaturatingRoundingDoublingHighMul.
int32_t srdhm(int32_t a, int32_t b);
/// gemmlowp RoundingDivideByPOT (round half away from zero), e in [0, 31].
int32_t rdbpot(int32_t x, int e);
/// TFLite MultiplyByQuantizedMultiplier (double rounding); exponent > 0 is a
/// left shift.
int32_t multiplyByQuantizedMultiplier(int32_t x, int32_t m, int exponent);
/// TOSA apply_scale_32: (v * m + round) >> shift in int64.
int32_t applyScale32(int32_t v, int32_t m, int shift, bool doubleRound);

/// ONNX QuantizeLinear on one value: clamp(rne(x / scale) + zp, lo, hi), the
/// quotient in float32.
int32_t quantizeRNE(float x, float scale, int32_t zp, int32_t lo, int32_t hi);

} // namespace qc

#endif // QC_SUPPORT_FIXEDPOINT_H
