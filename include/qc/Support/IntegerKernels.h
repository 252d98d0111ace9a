//===- IntegerKernels.h - I-BERT integer-only nonlinearities ----*- C++ -*-===//
//
// Scalar reference semantics of the integer-only kernels of
// integer-spec.md section 5 (I-BERT, code form), in exact int64 arithmetic
// with constants computed once from the input scale. They are the contract
// the transformer ops' lowerings must match bit for bit (issue #5).
//
//===----------------------------------------------------------------------===//
#ifndef QC_SUPPORT_INTEGERKERNELS_H
#define QC_SUPPORT_INTEGERKERNELS_H

#include <cstdint>
#include <vector>

namespace qc {

/// floor(sqrt(n)) by Newton's iteration from x0 = 2^ceil(bits(n)/2)
/// (spec 5.6); `evaluations`, when given, counts the iterate evaluations
/// (at most 6 for n < 2^32).
uint64_t isqrt(uint64_t n, int *evaluations = nullptr);

/// i-GELU (spec 5.3) for input integers at scale `s`: out = q * (erf + one)
/// at the (negative) scale `outScale`.
struct IGelu {
  explicit IGelu(double s);
  int64_t erf(int64_t q) const; ///< the erf integer after the 2^14 shift
  int64_t operator()(int64_t q) const;
  double inScale, erfScale, outScale;
  int64_t bInt, cInt, one;
};

/// i-exp, code form (spec 5.4), for x <= 0 at scale `s`: exp_int at scale
/// `outScale` = a * s^2 / 2^30.
struct IExp {
  explicit IExp(double s);
  int64_t operator()(int64_t x) const;
  double inScale, outScale;
  int64_t x0, bInt, cInt;
};

/// i-softmax (spec 5.5) as qc.isoftmax computes it: i-exp, then the
/// dyadic `multiplier / 2^shift` = S_exp / S16 applied to `e >> preShift`
/// (round half up, clamp to [0, 32767]), then floor(e16 * floor(2^32 /
/// sum) / 2^24). Outputs at scale 2^-8, in [0, 256].
struct ISoftmax {
  ISoftmax(double s, double s16);
  std::vector<int64_t> operator()(const std::vector<int64_t> &row) const;
  IExp exp;
  int64_t multiplier;
  int preShift, shift;
};

/// i-softmax (spec 5.5) of one row of integers at scale `s`: subtract the
/// row max, i-exp, requantize to 16 bits at scale `s16` (dyadic, rounding
/// half up), normalize by floor(2^32 / sum); outputs at scale 2^-8, in
/// [0, 256].
std::vector<int64_t> isoftmax(const std::vector<int64_t> &row, double s,
                              double s16);

/// i-LayerNorm (spec 5.7) of one row of integers: integer mean (round half
/// to even of the exact quotient), variance of (x - mean) >> shift plus
/// `eps` (epsilon in those integer units), std =
/// isqrt(var) << shift, factor = floor(2^31 / std) (2^31 when std = 0),
/// outputs floor((x - mean) * factor / 2) at scale sqrt(n) / 2^30 (before
/// the affine step).
std::vector<int64_t> ilayernorm(const std::vector<int64_t> &row, int shift,
                                int64_t eps = 0);

} // namespace qc

#endif // QC_SUPPORT_INTEGERKERNELS_H
