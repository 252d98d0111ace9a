//===- IntegerKernels.cpp - I-BERT integer-only nonlinearities ------------===//
#include "qc/Support/IntegerKernels.h"

#include <algorithm>
#include <cassert>
#include <cmath>

using namespace qc;

/// floor(a / b) for b > 0 or b < 0 (C++ division truncates).
static int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

uint64_t qc::isqrt(uint64_t n, int *evaluations) {
  int evals = 0;
  uint64_t r = 0;
  if (n != 0) {
    int bits = 64 - __builtin_clzll(n);
    uint64_t x = uint64_t(1) << ((bits + 1) / 2);
    while (true) {
      uint64_t next = (x + n / x) / 2;
      ++evals;
      if (next >= x)
        break;
      x = next;
    }
    r = x;
  }
  if (evaluations)
    *evaluations = evals;
  return r;
}

// The constants follow the spec's vectors (9.2): S_e and the integer
// constants in float32 as the reference code computes them, the erf scale
// in float64 from the float32 S_e.
IGelu::IGelu(double s) : inScale(s) {
  float se = float(s) / 1.4142f;
  bInt = int64_t(std::floor(-1.769f / se));
  cInt = int64_t(std::floor((1.0f / -0.2888f) / (se * se)));
  erfScale = -0.2888 * double(se) * double(se) * 16384.0;
  one = int64_t(std::floor(1.0 / erfScale));
  outScale = s * erfScale / 2.0;
}

int64_t IGelu::erf(int64_t q) const {
  int64_t sign = (q > 0) - (q < 0);
  int64_t u = std::min<int64_t>(q < 0 ? -q : q, -bInt);
  int64_t y = sign * ((u + bInt) * (u + bInt) + cInt);
  return floorDiv(y, int64_t(1) << 14);
}

int64_t IGelu::operator()(int64_t q) const { return q * (erf(q) + one); }

IExp::IExp(double s) : inScale(s) {
  const double a = 0.35815147, b = 0.96963238 / a, c = 1.0 / a;
  x0 = int64_t(std::floor(-0.6931 / s));
  bInt = int64_t(std::floor(b / s));
  cInt = int64_t(std::floor(c / (s * s)));
  outScale = a * s * s / std::ldexp(1.0, 30);
}

int64_t IExp::operator()(int64_t x) const {
  assert(x <= 0 && "i-exp takes x - max(x) <= 0");
  x = std::max(x, 30 * x0);
  int64_t qz = floorDiv(x, x0);
  int64_t r = x - x0 * qz;
  int64_t z = r * (r + bInt) + cInt;
  return std::max<int64_t>(0, z * (int64_t(1) << (30 - qz)));
}

ISoftmax::ISoftmax(double s, double s16) : exp(s) {
  // Dyadic multiplier / 2^c for S_exp / S16 (spec 2.6). i-exp peaks at
  // c_int << 30; drop low bits first so that the product fits int64.
  int e;
  double q = std::frexp(exp.outScale / s16, &e);
  multiplier = int64_t(std::floor(q * std::ldexp(1.0, 31) + 0.5));
  if (multiplier == int64_t(1) << 31) {
    multiplier >>= 1;
    --e;
  }
  int peakBits = 64 - __builtin_clzll(uint64_t(exp.cInt)) + 30;
  preShift = std::max(0, peakBits - 31);
  shift = 31 - e - preShift;
}

std::vector<int64_t> ISoftmax::operator()(const std::vector<int64_t> &row) const {
  int64_t mx = *std::max_element(row.begin(), row.end());
  std::vector<int64_t> e16;
  int64_t sum = 0;
  for (int64_t x : row) {
    int64_t v = ((exp(x - mx) >> preShift) * multiplier +
                 (int64_t(1) << (shift - 1))) >> shift;
    e16.push_back(std::clamp<int64_t>(v, 0, 32767));
    sum += e16.back();
  }
  int64_t factor = sum > 0 ? floorDiv(int64_t(1) << 32, sum) : 0;
  std::vector<int64_t> out;
  for (int64_t v : e16)
    out.push_back((v * factor) >> 24);
  return out;
}

std::vector<int64_t> qc::isoftmax(const std::vector<int64_t> &row, double s,
                                  double s16) {
  return ISoftmax(s, s16)(row);
}

std::vector<int64_t> qc::ilayernorm(const std::vector<int64_t> &row,
                                    int shift, int64_t eps) {
  int64_t n = int64_t(row.size()), sum = 0;
  for (int64_t x : row)
    sum += x;
  // Round half to even of sum / n, exactly.
  int64_t mean = floorDiv(sum, n), rem = sum - mean * n;
  if (2 * rem > n || (2 * rem == n && (mean & 1)))
    ++mean;
  uint64_t var = 0;
  for (int64_t x : row) {
    int64_t ys = (x - mean) >> shift; // arithmetic: floor
    var += uint64_t(ys * ys);
  }
  var += uint64_t(eps);
  int64_t sd = int64_t(isqrt(var)) << shift;
  int64_t factor = sd > 0 ? floorDiv(int64_t(1) << 31, sd) : int64_t(1) << 31;
  std::vector<int64_t> out;
  for (int64_t x : row)
    out.push_back(floorDiv((x - mean) * factor, 2));
  return out;
}
