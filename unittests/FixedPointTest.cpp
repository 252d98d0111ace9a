//===- FixedPointTest.cpp - vectors from integer-spec.md ------------------===//
#include "qc/Support/FixedPoint.h"

#include <gtest/gtest.h>

#include <climits>
#include <cmath>
#include <random>

using namespace qc;

TEST(QuantizeMultiplier, EdgeCases) {
  int32_t m;
  int e;
  quantizeMultiplier(1.0, m, e);
  EXPECT_EQ(m, 1 << 30);
  EXPECT_EQ(e, 1);
  quantizeMultiplier(0.9999999999, m, e); // renormalized when q rounds to 1
  EXPECT_EQ(m, 1 << 30);
  EXPECT_EQ(e, 1);
  quantizeMultiplier(1.5, m, e);
  EXPECT_EQ(m, 1610612736);
  EXPECT_EQ(e, 1);
  quantizeMultiplier(std::ldexp(1.0, -40), m, e);
  EXPECT_EQ(m, 0);
  EXPECT_EQ(e, 0);
  quantizeMultiplier(0.0072474273, m, e);
  EXPECT_EQ(m, 1992157647);
  EXPECT_EQ(e, -7);
}

TEST(Dyadic, TosaShiftConvention) {
  auto d = toDyadic(0.0072474273);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->multiplier, 1992157647);
  EXPECT_EQ(d->shift, 38);
  EXPECT_FALSE(toDyadic(std::ldexp(1.0, 30)).has_value());
  EXPECT_FALSE(toDyadic(-1.0).has_value());
  EXPECT_FALSE(toDyadic(NAN).has_value());
  auto tiny = toDyadic(std::ldexp(1.0, -40));
  ASSERT_TRUE(tiny.has_value());
  EXPECT_EQ(tiny->multiplier, 0);
}

TEST(SRDHM, Ties) {
  EXPECT_EQ(srdhm(-32768, 32768), 0);
  EXPECT_EQ(srdhm(-98304, 32768), -1);
  EXPECT_EQ(srdhm(32768, 32768), 1);
  EXPECT_EQ(srdhm(98304, 32768), 2);
  EXPECT_EQ(srdhm(INT32_MIN, INT32_MIN), INT32_MAX);
}

TEST(RDBPOT, Examples) {
  EXPECT_EQ(rdbpot(-5, 1), -3);
  EXPECT_EQ(rdbpot(5, 1), 3);
  EXPECT_EQ(rdbpot(-3, 1), -2);
  EXPECT_EQ(rdbpot(-6, 2), -2);
  EXPECT_EQ(rdbpot(6, 2), 2);
  EXPECT_EQ(rdbpot(12345, 0), 12345);
}

// integer-spec.md 9.1: M = 0.0072474273.
TEST(MBQM, SpecTable) {
  const int32_t m = 1992157647;
  const struct {
    int32_t x, expect;
  } rows[] = {{12345, 89}, {-12345, -89}, {1000, 7},           {69, 1},
              {-69, -1},   {7000000, 50732}, {123456789, 894744}};
  for (auto r : rows) {
    EXPECT_EQ(multiplyByQuantizedMultiplier(r.x, m, -7), r.expect) << r.x;
    EXPECT_EQ(applyScale32(r.x, m, 38, /*doubleRound=*/true), r.expect) << r.x;
    EXPECT_EQ(applyScale32(r.x, m, 38, /*doubleRound=*/false), r.expect)
        << r.x;
  }
}

TEST(MBQM, DoubleVersusSingleRounding) {
  // exact 211.4192: double rounding gives 212, single rounding 211.
  EXPECT_EQ(multiplyByQuantizedMultiplier(545, 1666125716, -1), 212);
  EXPECT_EQ(applyScale32(545, 1666125716, 32, true), 212);
  EXPECT_EQ(applyScale32(545, 1666125716, 32, false), 211);
  // QM(1.5) = (1610612736, 1); 1001 * 1.5 = 1501.5 rounds up.
  EXPECT_EQ(multiplyByQuantizedMultiplier(1001, 1610612736, 1), 1502);
  EXPECT_EQ(applyScale32(1001, 1610612736, 30, true), 1502);
}

// TOSA DOUBLE_ROUND with shift = 31 - e equals TFLite MBQM (spec 2.5).
TEST(MBQM, TosaEqualsTFLiteRandom) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> scale(-20, 8);
  std::uniform_int_distribution<int32_t> acc(-(1 << 24), 1 << 24);
  for (int i = 0; i < 200000; ++i) {
    double s = std::exp2(scale(rng));
    auto d = toDyadic(s);
    ASSERT_TRUE(d.has_value());
    int32_t x = acc(rng);
    if (std::abs(x * s) >= 1 << 30) // result must fit int32 (no wrap)
      continue;
    int32_t tfl = multiplyByQuantizedMultiplier(x, d->multiplier, 31 - d->shift);
    ASSERT_EQ(applyScale32(x, d->multiplier, d->shift, true), tfl)
        << "x=" << x << " s=" << s;
    // The dyadic result is within one unit of the exact product.
    ASSERT_LE(std::abs(tfl - x * s), 1.0) << "x=" << x << " s=" << s;
  }
}

TEST(Quantize, RoundHalfToEven) {
  const float s = 0.0117647061124444f;
  EXPECT_EQ(quantizeRNE(0.5f * s, s, 0, -128, 127), 0);
  EXPECT_EQ(quantizeRNE(1.5f * s, s, 0, -128, 127), 2);
  EXPECT_EQ(quantizeRNE(-2.5f, 1.0f, 0, -128, 127), -2);
  EXPECT_EQ(quantizeRNE(1000.0f, 1.0f, 3, -128, 127), 127);
  EXPECT_EQ(quantizeRNE(-1000.0f, 1.0f, 3, -128, 127), -128);
  EXPECT_EQ(quantizeRNE(2.0f, 1.0f, -5, -128, 127), -3);
}
