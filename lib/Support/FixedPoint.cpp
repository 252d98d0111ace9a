//===- FixedPoint.cpp - integer requantization helpers --------------------===//
#include "qc/Support/FixedPoint.h"

#include <cfenv>
#include <cmath>
#include <limits>

using namespace qc;

void qc::quantizeMultiplier(double m, int32_t &multiplier, int &exponent) {
  if (m == 0.0) {
    multiplier = 0;
    exponent = 0;
    return;
  }
  double q = std::frexp(m, &exponent);
  int64_t qFixed = static_cast<int64_t>(std::round(q * (1LL << 31)));
  if (qFixed == (1LL << 31)) {
    qFixed /= 2;
    ++exponent;
  }
  if (exponent < -31) {
    exponent = 0;
    qFixed = 0;
  }
  multiplier = static_cast<int32_t>(qFixed);
}

std::optional<Dyadic> qc::toDyadic(double m) {
  if (!(m >= 0.0) || !std::isfinite(m))
    return std::nullopt;
  int32_t mult;
  int e;
  quantizeMultiplier(m, mult, e);
  if (mult == 0)
    return Dyadic{0, 31};
  int shift = 31 - e;
  if (shift < 2 || shift > 62)
    return std::nullopt;
  return Dyadic{mult, shift};
}

int32_t qc::srdhm(int32_t a, int32_t b) {
  if (a == b && a == std::numeric_limits<int32_t>::min())
    return std::numeric_limits<int32_t>::max();
  int64_t ab = static_cast<int64_t>(a) * b;
  int64_t nudge = ab >= 0 ? (1LL << 30) : (1 - (1LL << 30));
  return static_cast<int32_t>((ab + nudge) / (1LL << 31));
}

int32_t qc::rdbpot(int32_t x, int e) {
  int32_t mask = static_cast<int32_t>((1LL << e) - 1);
  int32_t rem = x & mask;
  int32_t thr = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (rem > thr ? 1 : 0);
}

int32_t qc::multiplyByQuantizedMultiplier(int32_t x, int32_t m, int exponent) {
  int left = exponent > 0 ? exponent : 0;
  int right = exponent > 0 ? 0 : -exponent;
  // Wrapping left shift, as TFLite's int32 arithmetic does in practice.
  int32_t shifted = static_cast<int32_t>(static_cast<uint32_t>(x) << left);
  return rdbpot(srdhm(shifted, m), right);
}

int32_t qc::applyScale32(int32_t v, int32_t m, int shift, bool doubleRound) {
  int64_t round = int64_t(1) << (shift - 1);
  if (doubleRound && shift > 31)
    round += v >= 0 ? (int64_t(1) << 30) : -(int64_t(1) << 30);
  int64_t r = (static_cast<int64_t>(v) * m + round) >> shift;
  return static_cast<int32_t>(r);
}

int32_t qc::quantizeRNE(float x, float scale, int32_t zp, int32_t lo,
                        int32_t hi) {
  float q = std::nearbyint(x / scale); // default FE_TONEAREST: half to even
  double v = static_cast<double>(q) + zp;
  if (v < lo)
    return lo;
  if (v > hi)
    return hi;
  return static_cast<int32_t>(v);
}
