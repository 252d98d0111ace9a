//===- Simulator.cpp - functional simulator of the etpu command stream ----===//
#include "qc/Target/Accel/Simulator.h"
#include "qc/Support/FixedPoint.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <sstream>

using namespace qc::accel;

namespace {
struct SimError {
  std::string message;
};

constexpr int32_t kUnwritten = -1;
constexpr int32_t kBeforeBody = -2; // host data, weights, init commands

/// One simulated memory with per-element provenance for the checks.
template <typename T> struct Memory {
  const char *name;
  std::vector<T> data;
  std::vector<int32_t> writer, reader;
  void resize(size_t n, int32_t initialWriter) {
    data.assign(n, T(0));
    writer.assign(n, initialWriter);
    reader.assign(n, kUnwritten);
  }
};
} // namespace

struct Simulator::Impl {
  Program program;
  bool check;
  Memory<int8_t> ub{"UB", {}, {}, {}}, wb{"WB", {}, {}, {}};
  Memory<int32_t> acc{"ACC", {}, {}, {}};
  std::vector<Memory<int8_t>> dram;
  std::vector<bool> initDone;
  // The array's resident weight tile.
  std::vector<int8_t> tile;
  int64_t tileK = 0, tileN = 0;
  int32_t tileWriter = kUnwritten;
  // Ordering: for the running command, the highest index of each queue known
  // to have finished (same-queue commands are in order).
  std::vector<std::array<int32_t, 3>> seen;
  const std::vector<Command> *cmds = nullptr;
  int32_t cur = 0;
  bool inBody = false;

  Impl(Program p, bool check) : program(std::move(p)), check(check) {
    const AccelTarget &t = program.target;
    ub.resize(t.bufferBytes, kUnwritten);
    wb.resize(t.weightBytes, kUnwritten);
    acc.resize(t.accRows * t.arrayDim, kUnwritten);
    initDone.assign(program.regions.size(), false);
  }

  [[noreturn]] void fail(const std::string &what) {
    const Command &c = (*cmds)[cur];
    std::ostringstream os;
    os << (inBody ? "command " : "init command ") << cur << " ("
       << c.info().name << ", layer " << c.layer << "): " << what;
    throw SimError{os.str()};
  }

  bool ordered(int32_t other) {
    if (other < 0 || !inBody)
      return true;
    Queue qo = (*cmds)[other].info().queue;
    Queue qc = (*cmds)[cur].info().queue;
    return qo == qc || other <= seen[cur][qo];
  }

  template <typename T> T read(Memory<T> &m, int64_t i) {
    if (i < 0 || i >= int64_t(m.data.size()))
      fail(std::string("reads ") + m.name + " element " + std::to_string(i) +
           " outside its " + std::to_string(m.data.size()));
    if (check) {
      int32_t w = m.writer[i];
      if (w == kUnwritten)
        fail(std::string("reads uninitialised ") + m.name + " element " +
             std::to_string(i));
      if (!ordered(w))
        fail(std::string("reads ") + m.name + " element " + std::to_string(i) +
             " written by command " + std::to_string(w) +
             " without a dependency token on it");
      if (inBody)
        m.reader[i] = std::max(m.reader[i], cur);
    }
    return m.data[i];
  }

  template <typename T> void write(Memory<T> &m, int64_t i, T v) {
    if (i < 0 || i >= int64_t(m.data.size()))
      fail(std::string("writes ") + m.name + " element " + std::to_string(i) +
           " outside its " + std::to_string(m.data.size()));
    if (check && inBody) {
      if (!ordered(m.reader[i]))
        fail(std::string("overwrites ") + m.name + " element " +
             std::to_string(i) + " still read by command " +
             std::to_string(m.reader[i]) + " (no dependency token)");
      if (!ordered(m.writer[i]))
        fail(std::string("overwrites ") + m.name + " element " +
             std::to_string(i) + " written by command " +
             std::to_string(m.writer[i]) + " (no dependency token)");
    }
    m.data[i] = v;
    m.writer[i] = inBody ? cur : kBeforeBody;
  }

  Memory<int8_t> &dramBuf(const RegionProgram &r, int64_t b) {
    if (b == -1)
      b = r.weightBuffer();
    if (b < 0 || b >= int64_t(dram.size()))
      fail("DRAM buffer " + std::to_string(b) + " does not exist");
    return dram[b];
  }

  int32_t wbInt32(int64_t addr) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
      v |= uint32_t(uint8_t(read(wb, addr + i))) << (8 * i);
    return static_cast<int32_t>(v);
  }

  static int32_t wrapAdd(int64_t a, int64_t b) {
    return static_cast<int32_t>(static_cast<uint32_t>(a) +
                                static_cast<uint32_t>(b));
  }
  static int32_t clampI(int64_t v, int64_t lo, int64_t hi) {
    return static_cast<int32_t>(std::min(std::max(v, lo), hi));
  }

  void exec(const RegionProgram &r, const Command &c) {
    auto F = [&](const char *n) { return c.at(n); };
    int64_t N = program.target.arrayDim;
    switch (c.kind) {
    case CmdKind::DmaIn: {
      auto &src = dramBuf(r, F("buf"));
      for (int64_t i = 0; i < F("rows"); ++i)
        for (int64_t j = 0; j < F("cols"); ++j)
          write(ub, F("ub") + i * F("ub_stride") + j,
                read(src, F("off") + i * F("src_stride") + j));
      return;
    }
    case CmdKind::DmaWeights: {
      auto &src = dramBuf(r, -1);
      for (int64_t i = 0; i < F("bytes"); ++i)
        write(wb, F("wb") + i, read(src, F("off") + i));
      return;
    }
    case CmdKind::DmaOut: {
      auto &dst = dramBuf(r, F("buf"));
      for (int64_t i = 0; i < F("rows"); ++i)
        for (int64_t j = 0; j < F("cols"); ++j)
          write(dst, F("off") + i * F("row_stride") + j * F("col_stride"),
                read(ub, F("ub") + i * F("ub_stride") + j));
      return;
    }
    case CmdKind::Im2Col: {
      auto &src = dramBuf(r, F("buf"));
      const int64_t H = F("height"), W = F("width"), kh = F("kh"),
                    kw = F("kw"), taps = kh * kw, outW = F("out_w"),
                    rows = F("rows"), kcount = F("kcount"), k0 = F("k0"),
                    p0 = F("pixel0"), sh = F("sh"), sw = F("sw"), ph = F("ph"),
                    pw = F("pw"), dh = F("dh"), dwl = F("dw"), off = F("off"),
                    base = F("ub"), channels = F("channels");
      const int8_t fill = static_cast<int8_t>(F("fill"));
      if (taps <= 0 || outW <= 0)
        fail("empty window or output width");
      for (int64_t m = 0; m < rows; ++m) {
        int64_t p = p0 + m, oy = p / outW, ox = p % outW;
        for (int64_t j = 0; j < kcount; ++j) {
          int64_t idx = k0 + j, ch = idx / taps, t = idx % taps;
          if (ch >= channels)
            fail("window column " + std::to_string(idx) + " is past channel " +
                 std::to_string(channels));
          int64_t iy = oy * sh - ph + (t / kw) * dh;
          int64_t ix = ox * sw - pw + (t % kw) * dwl;
          int8_t v = fill;
          if (iy >= 0 && iy < H && ix >= 0 && ix < W)
            v = read(src, off + (ch * H + iy) * W + ix);
          write(ub, base + m * kcount + j, v);
        }
      }
      return;
    }
    case CmdKind::LoadWeights:
      tile.assign(F("k") * F("n"), 0);
      for (int64_t i = 0; i < F("k") * F("n"); ++i)
        tile[i] = read(wb, F("wb") + i);
      tileK = F("k");
      tileN = F("n");
      tileWriter = cur;
      return;
    case CmdKind::MxuTile: {
      if (tileWriter == kUnwritten || tileK != F("k"))
        fail("the array holds a " + std::to_string(tileK) + "-row tile, the "
             "command streams " + std::to_string(F("k")) + " columns");
      const int64_t K = F("k"), rows = F("rows"), base = F("ub"),
                    stride = F("ub_stride"), accBase = F("acc"), zp = F("zp");
      const bool accumulate = F("accumulate");
      std::vector<int32_t> row(K);
      for (int64_t m = 0; m < rows; ++m) {
        for (int64_t j = 0; j < K; ++j)
          row[j] = int32_t(read(ub, base + m * stride + j)) - int32_t(zp);
        for (int64_t n = 0; n < tileN; ++n) {
          int64_t a = accBase + m * N + n;
          int64_t s = accumulate ? read(acc, a) : 0;
          for (int64_t j = 0; j < K; ++j)
            s += int64_t(row[j]) * tile[j * tileN + n];
          write(acc, a, wrapAdd(s, 0));
        }
      }
      return;
    }
    case CmdKind::VecDepthwise:
    case CmdKind::VecPool: {
      const int64_t chans = F("chans"), taps = F("taps"), rows = F("rows"),
                    base = F("ub"), zp = F("zp"), accBase = F("acc");
      const bool dw = c.kind == CmdKind::VecDepthwise;
      const int64_t mode = dw ? 1 : F("mode");
      std::vector<int32_t> w(dw ? chans * taps : 0);
      for (int64_t i = 0; i < int64_t(w.size()); ++i)
        w[i] = read(wb, F("wb") + i);
      for (int64_t m = 0; m < rows; ++m)
        for (int64_t ch = 0; ch < chans; ++ch) {
          int64_t s = mode == 0 ? -128 : 0;
          for (int64_t t = 0; t < taps; ++t) {
            int64_t x = read(ub, base + (m * chans + ch) * taps + t);
            if (dw)
              s += (x - zp) * w[ch * taps + t];
            else if (mode == 0)
              s = std::max<int64_t>(s, x);
            else
              s += x - zp;
          }
          write(acc, accBase + m * N + ch, wrapAdd(s, 0));
        }
      return;
    }
    case CmdKind::Activate:
      for (int64_t ch = 0; ch < F("n"); ++ch) {
        int64_t rec = F("wb") + 12 * ch;
        int32_t bias = wbInt32(rec), mult = wbInt32(rec + 4),
                e = wbInt32(rec + 8);
        if (e < -31 || e > 30)
          fail("channel " + std::to_string(ch) + " exponent " +
               std::to_string(e) + " outside [-31, 30]");
        for (int64_t m = 0; m < F("rows"); ++m) {
          int32_t x = wrapAdd(read(acc, F("acc") + m * N + ch), bias);
          int64_t y = int64_t(qc::multiplyByQuantizedMultiplier(x, mult, e)) +
                      F("zp");
          write(ub, F("ub") + ch * F("ub_stride") + m,
                int8_t(clampI(y, F("lo"), F("hi"))));
        }
      }
      return;
    case CmdKind::VecAdd:
      for (int64_t i = 0; i < F("n"); ++i) {
        int32_t a = qc::multiplyByQuantizedMultiplier(
            wrapAdd(read(ub, F("ub_a") + i), -F("zp_a")), F("mult_a"),
            F("exp_a"));
        int32_t b = qc::multiplyByQuantizedMultiplier(
            wrapAdd(read(ub, F("ub_b") + i), -F("zp_b")), F("mult_b"),
            F("exp_b"));
        int32_t s = wrapAdd(wrapAdd(a, b), -F("zp_sum"));
        int64_t y =
            int64_t(qc::multiplyByQuantizedMultiplier(s, F("mult"), F("exp"))) +
            F("zp");
        write(ub, F("ub_out") + i, int8_t(clampI(y, F("lo"), F("hi"))));
      }
      return;
    case CmdKind::VecLut:
      for (int64_t i = 0; i < F("n"); ++i)
        write(ub, F("ub_out") + i,
              read(wb, F("wb") + int64_t(read(ub, F("ub") + i)) + 128));
      return;
    case CmdKind::VecRequant:
      for (int64_t i = 0; i < F("n"); ++i) {
        int32_t x = wrapAdd(read(ub, F("ub") + i), -F("zp_in"));
        int64_t y =
            int64_t(qc::multiplyByQuantizedMultiplier(x, F("mult"), F("exp"))) +
            F("zp");
        write(ub, F("ub_out") + i, int8_t(clampI(y, F("lo"), F("hi"))));
      }
      return;
    }
    fail("unknown command");
  }

  void runList(const RegionProgram &r, const std::vector<Command> &list,
               bool body, Timeline &tl) {
    cmds = &list;
    inBody = body;
    seen.assign(list.size(), {-1, -1, -1});
    std::array<int32_t, 3> lastInQueue = {-1, -1, -1};
    std::vector<int64_t> sizes = r.dramBytes();
    for (cur = 0; cur < int32_t(list.size()); ++cur) {
      const Command &c = list[cur];
      Queue q = c.info().queue;
      std::array<int32_t, 3> s = {-1, -1, -1};
      auto join = [&](int32_t j) {
        for (int k = 0; k < 3; ++k)
          s[k] = std::max(s[k], seen[j][k]);
        Queue qj = list[j].info().queue;
        s[qj] = std::max(s[qj], j);
      };
      if (lastInQueue[q] >= 0)
        join(lastInQueue[q]);
      for (int32_t w : c.waits) {
        if (w < 0 || w >= cur)
          fail("waits for command " + std::to_string(w) +
               ", which is not an earlier command");
        join(w);
      }
      seen[cur] = s;
      lastInQueue[q] = cur;
      if (check)
        if (auto e = checkCommand(c, program.target, sizes))
          fail(*e);
      exec(r, c);
      tl.add(c, commandCycles(c, program.target));
    }
  }
};

Simulator::Simulator(Program program, bool check)
    : impl(std::make_unique<Impl>(std::move(program), check)) {}
Simulator::~Simulator() = default;
const Program &Simulator::program() const { return impl->program; }

std::optional<std::string> Simulator::run(size_t region,
                                          const std::vector<void *> &io,
                                          SimStats *stats) {
  Impl &s = *impl;
  if (region >= s.program.regions.size())
    return "no region " + std::to_string(region) + " in the command stream";
  const RegionProgram &r = s.program.regions[region];
  if (io.size() != r.inputBytes.size() + r.outputBytes.size())
    return "region " + r.name + " takes " +
           std::to_string(r.inputBytes.size() + r.outputBytes.size()) +
           " buffers, got " + std::to_string(io.size());
  std::vector<int64_t> sizes = r.dramBytes();
  s.dram.assign(sizes.size(), Memory<int8_t>{"DRAM", {}, {}, {}});
  size_t nIn = r.inputBytes.size();
  for (size_t b = 0; b < sizes.size(); ++b) {
    bool initialised = b < nIn || int64_t(b) == r.weightBuffer();
    s.dram[b].resize(sizes[b], initialised ? kBeforeBody : kUnwritten);
  }
  for (size_t b = 0; b < nIn; ++b)
    std::memcpy(s.dram[b].data.data(), io[b], sizes[b]);
  std::memcpy(s.dram[r.weightBuffer()].data.data(), r.weights.data(),
              r.weights.size());
  // A new submit: on-chip data from an earlier one is stale except the
  // weight cache, which the init commands filled.
  for (auto *m : {&s.ub.writer, &s.acc.writer})
    std::fill(m->begin(), m->end(), kUnwritten);
  std::fill(s.ub.reader.begin(), s.ub.reader.end(), kUnwritten);
  std::fill(s.acc.reader.begin(), s.acc.reader.end(), kUnwritten);
  std::fill(s.wb.reader.begin(), s.wb.reader.end(), kUnwritten);
  // Streamed weights of an earlier submit are stale; the cache stays.
  for (int32_t &w : s.wb.writer)
    if (w >= 0)
      w = kUnwritten;
  s.tileWriter = kUnwritten;
  try {
    Timeline initTl, bodyTl;
    bodyTl.layerCycles.assign(r.layers.size(), 0);
    if (!s.initDone[region]) {
      s.runList(r, r.init, false, initTl);
      s.initDone[region] = true;
    }
    s.runList(r, r.body, true, bodyTl);
    if (stats) {
      stats->cycles = bodyTl.total;
      stats->initCycles = initTl.total;
      stats->commands = r.body.size();
      stats->layerCycles = bodyTl.layerCycles;
    }
  } catch (SimError &e) {
    return "region " + r.name + ": " + e.message;
  }
  for (size_t b = 0; b < r.outputBytes.size(); ++b) {
    auto &m = s.dram[nIn + b];
    if (s.check)
      for (size_t i = 0; i < m.data.size(); ++i)
        if (m.writer[i] == kUnwritten)
          return "region " + r.name + ": output " + std::to_string(b) +
                 " byte " + std::to_string(i) + " was never written";
    std::memcpy(io[nIn + b], m.data.data(), m.data.size());
  }
  return std::nullopt;
}
