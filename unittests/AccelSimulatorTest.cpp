//===- AccelSimulatorTest.cpp - etpu command stream and simulator ---------===//
#include "qc/Support/FixedPoint.h"
#include "qc/Target/Accel/Simulator.h"

#include <gtest/gtest.h>

#include <random>

using namespace qc::accel;

namespace {
AccelTarget tiny() { return *AccelTarget::get("etpu-tiny"); }

void putI32(std::vector<int8_t> &b, int32_t v) {
  for (int i = 0; i < 4; ++i)
    b.push_back(static_cast<int8_t>((uint32_t(v) >> (8 * i)) & 0xff));
}

/// out[m][n] = requant(sum_k (a[m][k] - zp) * w[k][n] + bias[n]) for a
/// 3x4 input and a 4x3 weight tile, channel-major output: one of every
/// command the MXU path uses, with the tokens the hazards need.
struct Gemm {
  static constexpr int M = 3, K = 4, N = 3;
  int8_t a[M][K], w[K][N];
  int32_t bias[N] = {100, -7, 12345}, mult[N] = {1518500250, 1073741824, 2000000000},
          exp[N] = {-5, -1, -9};
  int32_t zp = -3, zpOut = 5;
  RegionProgram region;

  Gemm(unsigned seed) {
    std::mt19937 rng(seed);
    for (auto &r : a)
      for (int8_t &x : r)
        x = static_cast<int8_t>(rng());
    for (auto &r : w)
      for (int8_t &x : r)
        x = static_cast<int8_t>(rng());
    region.name = "gemm";
    region.inputBytes = {M * K};
    region.outputBytes = {N * M};
    region.layers = {"gemm"};
    for (auto &r : w)
      for (int8_t x : r)
        region.weights.push_back(x);
    for (int n = 0; n < N; ++n) {
      putI32(region.weights, bias[n]);
      putI32(region.weights, mult[n]);
      putI32(region.weights, exp[n]);
    }
    auto &b = region.body;
    b.push_back(makeCommand(CmdKind::DmaIn, 0, {},
                            {{"buf", 0}, {"rows", M}, {"cols", K},
                             {"src_stride", K}, {"ub_stride", K}}));      // 0
    b.push_back(makeCommand(CmdKind::DmaWeights, 0, {},
                            {{"off", 0}, {"wb", 0}, {"bytes", K * N + 12 * N}})); // 1
    b.push_back(makeCommand(CmdKind::LoadWeights, 0, {1},
                            {{"wb", 0}, {"k", K}, {"n", N}}));            // 2
    b.push_back(makeCommand(CmdKind::MxuTile, 0, {0},
                            {{"rows", M}, {"k", K}, {"ub_stride", K},
                             {"zp", zp}}));                               // 3
    b.push_back(makeCommand(CmdKind::Activate, 0, {},
                            {{"rows", M}, {"n", N}, {"wb", K * N},
                             {"ub", 64}, {"ub_stride", M}, {"zp", zpOut},
                             {"lo", -128}, {"hi", 127}}));                // 4
    b.push_back(makeCommand(CmdKind::DmaOut, 0, {4},
                            {{"ub", 64}, {"buf", 1}, {"rows", N}, {"cols", M},
                             {"ub_stride", M}, {"row_stride", M},
                             {"col_stride", 1}}));                        // 5
  }

  int8_t expected(int n, int m) const {
    int64_t acc = bias[n];
    for (int k = 0; k < K; ++k)
      acc += (int64_t(a[m][k]) - zp) * w[k][n];
    int64_t y = qc::multiplyByQuantizedMultiplier(int32_t(acc), mult[n], exp[n]) + zpOut;
    return static_cast<int8_t>(std::min<int64_t>(127, std::max<int64_t>(-128, y)));
  }

  Program program() const { return {tiny(), {region}}; }
};
} // namespace

TEST(AccelSimulator, MxuPathIsBitExact) {
  for (unsigned seed = 0; seed < 20; ++seed) {
    Gemm g(seed);
    Simulator sim(g.program(), /*check=*/true);
    int8_t out[Gemm::N][Gemm::M];
    std::vector<void *> io = {g.a, out};
    SimStats st;
    auto err = sim.run(0, io, &st);
    ASSERT_FALSE(err) << *err;
    for (int n = 0; n < Gemm::N; ++n)
      for (int m = 0; m < Gemm::M; ++m)
        EXPECT_EQ(out[n][m], g.expected(n, m)) << "seed " << seed;
    // The simulator's cycles are the estimator's.
    EXPECT_EQ(st.cycles, estimate(g.region.body, tiny(), 1).total);
  }
}

TEST(AccelSimulator, MissingTokenIsAHazard) {
  Gemm g(1);
  // Load the weights first: then nothing orders the MXU after the DMA of
  // its input rows (a token on the weight load no longer covers it).
  auto &b = g.region.body;
  std::swap(b[0], b[1]);
  b[2].waits = {0};
  b[3].waits.clear();
  Simulator sim(g.program(), true);
  int8_t out[Gemm::N * Gemm::M];
  std::vector<void *> io = {g.a, out};
  auto err = sim.run(0, io);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("command 3 (mxu_tile, layer 0): reads UB element 0 "
                      "written by command 1 without a dependency token"),
            std::string::npos)
      << *err;
  // Without checking, the same stream runs (the functional order is fine).
  Simulator unchecked(g.program(), false);
  EXPECT_FALSE(unchecked.run(0, io));
}

TEST(AccelSimulator, UninitialisedReadAndBounds) {
  Gemm g(2);
  g.region.body[5].f[0] = 512; // dma_out reads a UB area nobody wrote
  Simulator sim(g.program(), true);
  int8_t out[Gemm::N * Gemm::M];
  std::vector<void *> io = {g.a, out};
  auto err = sim.run(0, io);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("reads uninitialised UB element 512"), std::string::npos) << *err;

  Gemm h(2);
  h.region.body[0] = makeCommand(CmdKind::DmaIn, 0, {},
                                 {{"buf", 0}, {"rows", 4}, {"cols", 4},
                                  {"src_stride", 4}, {"ub_stride", 4}});
  Simulator sim2(h.program(), true);
  err = sim2.run(0, io);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("dma_in: reads DRAM buffer 0 [0, 16) outside its 12 bytes"),
            std::string::npos)
      << *err;
}

TEST(AccelSimulator, OverwriteBeforeReadIsAHazard) {
  Gemm g(3);
  // A second DMA into the MXU's input rows, on the load queue, not ordered
  // after the MXU that reads them.
  g.region.body.push_back(makeCommand(CmdKind::DmaIn, 0, {},
                                      {{"buf", 0}, {"rows", 1}, {"cols", 4},
                                       {"src_stride", 4}, {"ub_stride", 4}}));
  Simulator sim(g.program(), true);
  int8_t out[Gemm::N * Gemm::M];
  std::vector<void *> io = {g.a, out};
  auto err = sim.run(0, io);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("overwrites UB element 0 still read by command 3"),
            std::string::npos)
      << *err;
}

TEST(AccelCommandStream, RoundTripAndCorruption) {
  Gemm g(4);
  Program p = g.program();
  std::string bytes = serialize(p);
  std::string err;
  auto back = deserialize(bytes, err);
  ASSERT_TRUE(back) << err;
  EXPECT_EQ(serialize(*back), bytes);
  EXPECT_FALSE(deserialize(bytes.substr(0, bytes.size() - 3), err));
  EXPECT_EQ(err, "truncated command");
  EXPECT_FALSE(deserialize("QCX2" + bytes.substr(4), err));
  EXPECT_EQ(err, "not a qc accelerator command stream (bad magic)");
  std::string bad = bytes;
  bad[4 + 4 + 4 + 8] = 'X'; // the target name "etpu-tiny" -> "etpu-tinX"
  EXPECT_FALSE(deserialize(bad, err));
  EXPECT_EQ(err, "unknown target 'etpu-tinX'");
}

TEST(AccelCostModel, QueuesOverlapOnlyWithoutTokens) {
  AccelTarget t = tiny();
  Command load = makeCommand(CmdKind::DmaIn, 0, {},
                             {{"rows", 1}, {"cols", 64}, {"src_stride", 64}});
  Command compute = makeCommand(CmdKind::LoadWeights, 0, {}, {{"k", 4}, {"n", 4}});
  int64_t dma = t.dmaLatency + 64 / t.dmaBytesPerCycle;
  EXPECT_EQ(commandCycles(load, t), dma);
  EXPECT_EQ(estimate({load, compute}, t, 1).total, dma);
  Command after = compute;
  after.waits = {0};
  EXPECT_EQ(estimate({load, after}, t, 1).total, dma + 4);
}
