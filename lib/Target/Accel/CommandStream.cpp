//===- CommandStream.cpp - etpu commands, cost model, serialization -------===//
#include "qc/Target/Accel/CommandStream.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <sstream>

using namespace qc::accel;

const std::vector<CmdInfo> &qc::accel::commandTable() {
  static const std::vector<CmdInfo> table = {
      {CmdKind::DmaIn, "dma_in", LoadQueue,
       {"buf", "off", "ub", "rows", "cols", "src_stride", "ub_stride"},
       "copy rows x cols bytes from a DRAM buffer into UB"},
      {CmdKind::DmaWeights, "dma_weights", LoadQueue,
       {"off", "wb", "bytes"},
       "copy bytes of the weight blob into the weight cache (WB)"},
      {CmdKind::DmaOut, "dma_out", StoreQueue,
       {"ub", "buf", "off", "rows", "cols", "ub_stride", "row_stride",
        "col_stride"},
       "copy rows x cols bytes from UB to a DRAM buffer (strided)"},
      {CmdKind::Im2Col, "im2col", LoadQueue,
       {"buf", "off", "channels", "height", "width", "kh", "kw", "sh", "sw",
        "ph", "pw", "dh", "dw", "out_w", "pixel0", "rows", "k0", "kcount",
        "ub", "fill"},
       "gather conv windows of a CHW DRAM tensor into UB rows (one row per "
       "output pixel, columns k0.. of the (c, ky, kx) window; padding reads "
       "`fill`)"},
      {CmdKind::LoadWeights, "load_weights", ComputeQueue,
       {"wb", "k", "n"},
       "load a k x n int8 weight tile (row-major in WB) into the array"},
      {CmdKind::MxuTile, "mxu_tile", ComputeQueue,
       {"ub", "rows", "k", "ub_stride", "acc", "zp", "accumulate"},
       "stream rows of k int8 values through the array: "
       "acc[m][n] (+)= sum_j (ub[m][j] - zp) * w[j][n]"},
      {CmdKind::VecDepthwise, "vec_depthwise", ComputeQueue,
       {"ub", "rows", "chans", "taps", "wb", "acc", "zp"},
       "acc[m][c] = sum_t (ub[m][c][t] - zp) * wb[c][t]"},
      {CmdKind::VecPool, "vec_pool", ComputeQueue,
       {"ub", "rows", "chans", "taps", "acc", "mode", "zp"},
       "acc[m][c] = max_t ub[m][c][t] (mode 0) or sum_t (ub[m][c][t] - zp) "
       "(mode 1)"},
      {CmdKind::Activate, "activate", ComputeQueue,
       {"acc", "rows", "n", "wb", "ub", "ub_stride", "zp", "lo", "hi"},
       "requantize ACC rows into int8 UB, channel-major: per channel c the "
       "record {bias, multiplier, exponent} at wb + 12c gives "
       "clamp(MBQM(acc + bias, multiplier, exponent) + zp, lo, hi)"},
      {CmdKind::VecAdd, "vec_add", ComputeQueue,
       {"ub_a", "ub_b", "n", "ub_out", "zp_a", "mult_a", "exp_a", "zp_b",
        "mult_b", "exp_b", "zp_sum", "mult", "exp", "zp", "lo", "hi"},
       "out = clamp(MBQM(MBQM(a - zp_a) + MBQM(b - zp_b) - zp_sum) + zp) "
       "(TFLite add)"},
      {CmdKind::VecLut, "vec_lut", ComputeQueue,
       {"ub", "n", "wb", "ub_out"},
       "out = wb[x + 128]: a 256-entry int8 table"},
      {CmdKind::VecRequant, "vec_requant", ComputeQueue,
       {"ub", "n", "ub_out", "zp_in", "mult", "exp", "zp", "lo", "hi"},
       "out = clamp(MBQM(x - zp_in, mult, exp) + zp, lo, hi)"},
  };
  return table;
}

const CmdInfo *qc::accel::lookupCommand(CmdKind kind) {
  for (const CmdInfo &i : commandTable())
    if (i.kind == kind)
      return &i;
  return nullptr;
}

const CmdInfo *qc::accel::lookupCommand(const std::string &name) {
  for (const CmdInfo &i : commandTable())
    if (name == i.name)
      return &i;
  return nullptr;
}

static int fieldIndex(const CmdInfo &info, const char *name) {
  for (size_t i = 0; i < info.fields.size(); ++i)
    if (!std::strcmp(info.fields[i], name))
      return static_cast<int>(i);
  return -1;
}

int64_t Command::at(const char *name) const {
  int i = fieldIndex(info(), name);
  assert(i >= 0 && "no such command field");
  return f[i];
}

Command qc::accel::makeCommand(
    CmdKind kind, int32_t layer, std::vector<int32_t> waits,
    std::initializer_list<std::pair<const char *, int64_t>> fs) {
  Command c{kind, layer, std::move(waits), {}};
  const CmdInfo &info = *lookupCommand(kind);
  c.f.assign(info.fields.size(), 0);
  for (auto &[name, v] : fs) {
    int i = fieldIndex(info, name);
    assert(i >= 0 && "no such command field");
    c.f[i] = v;
  }
  return c;
}

//===----------------------------------------------------------------------===//
// Accesses, bounds and cycles
//===----------------------------------------------------------------------===//

std::vector<Access> qc::accel::commandAccesses(const Command &c,
                                               const AccelTarget &t) {
  auto F = [&](const char *n) { return c.at(n); };
  int64_t N = t.arrayDim;
  auto span2d = [](int64_t base, int64_t rows, int64_t cols, int64_t stride) {
    return rows <= 0 || cols <= 0 ? base : base + (rows - 1) * stride + cols;
  };
  switch (c.kind) {
  case CmdKind::DmaIn:
    return {{Mem::DRAM, F("buf"), F("off"),
             span2d(F("off"), F("rows"), F("cols"), F("src_stride")), false},
            {Mem::UB, 0, F("ub"),
             span2d(F("ub"), F("rows"), F("cols"), F("ub_stride")), true}};
  case CmdKind::DmaWeights:
    return {{Mem::DRAM, -1, F("off"), F("off") + F("bytes"), false},
            {Mem::WB, 0, F("wb"), F("wb") + F("bytes"), true}};
  case CmdKind::DmaOut: {
    int64_t last = F("off") + (F("rows") - 1) * F("row_stride") +
                   (F("cols") - 1) * F("col_stride") + 1;
    return {{Mem::UB, 0, F("ub"),
             span2d(F("ub"), F("rows"), F("cols"), F("ub_stride")), false},
            {Mem::DRAM, F("buf"), F("off"), last, true}};
  }
  case CmdKind::Im2Col:
    return {{Mem::DRAM, F("buf"), F("off"),
             F("off") + F("channels") * F("height") * F("width"), false},
            {Mem::UB, 0, F("ub"), F("ub") + F("rows") * F("kcount"), true}};
  case CmdKind::LoadWeights:
    return {{Mem::WB, 0, F("wb"), F("wb") + F("k") * F("n"), false}};
  case CmdKind::MxuTile:
    return {{Mem::UB, 0, F("ub"),
             span2d(F("ub"), F("rows"), F("k"), F("ub_stride")), false},
            {Mem::ACC, 0, F("acc"), F("acc") + F("rows") * N, true}};
  case CmdKind::VecDepthwise:
    return {{Mem::UB, 0, F("ub"),
             F("ub") + F("rows") * F("chans") * F("taps"), false},
            {Mem::WB, 0, F("wb"), F("wb") + F("chans") * F("taps"), false},
            {Mem::ACC, 0, F("acc"),
             span2d(F("acc"), F("rows"), F("chans"), N), true}};
  case CmdKind::VecPool:
    return {{Mem::UB, 0, F("ub"),
             F("ub") + F("rows") * F("chans") * F("taps"), false},
            {Mem::ACC, 0, F("acc"),
             span2d(F("acc"), F("rows"), F("chans"), N), true}};
  case CmdKind::Activate:
    return {{Mem::ACC, 0, F("acc"), span2d(F("acc"), F("rows"), F("n"), N),
             false},
            {Mem::WB, 0, F("wb"), F("wb") + 12 * F("n"), false},
            {Mem::UB, 0, F("ub"),
             span2d(F("ub"), F("n"), F("rows"), F("ub_stride")), true}};
  case CmdKind::VecAdd:
    return {{Mem::UB, 0, F("ub_a"), F("ub_a") + F("n"), false},
            {Mem::UB, 0, F("ub_b"), F("ub_b") + F("n"), false},
            {Mem::UB, 0, F("ub_out"), F("ub_out") + F("n"), true}};
  case CmdKind::VecLut:
    return {{Mem::UB, 0, F("ub"), F("ub") + F("n"), false},
            {Mem::WB, 0, F("wb"), F("wb") + 256, false},
            {Mem::UB, 0, F("ub_out"), F("ub_out") + F("n"), true}};
  case CmdKind::VecRequant:
    return {{Mem::UB, 0, F("ub"), F("ub") + F("n"), false},
            {Mem::UB, 0, F("ub_out"), F("ub_out") + F("n"), true}};
  }
  return {};
}

static const char *memName(Mem m) {
  switch (m) {
  case Mem::UB:
    return "UB";
  case Mem::WB:
    return "WB";
  case Mem::ACC:
    return "ACC";
  case Mem::DRAM:
    return "DRAM";
  }
  return "?";
}

std::optional<std::string>
qc::accel::checkCommand(const Command &c, const AccelTarget &t,
                        const std::vector<int64_t> &dramBytes) {
  const CmdInfo &info = c.info();
  std::ostringstream os;
  for (size_t i = 0; i < info.fields.size(); ++i) {
    bool maySign = !std::strcmp(info.fields[i], "zp") ||
                   !std::strncmp(info.fields[i], "zp_", 3) ||
                   !std::strncmp(info.fields[i], "exp", 3) ||
                   !std::strcmp(info.fields[i], "lo") ||
                   !std::strcmp(info.fields[i], "hi") ||
                   !std::strcmp(info.fields[i], "fill") ||
                   !std::strncmp(info.fields[i], "mult", 4);
    if (!maySign && c.f[i] < 0) {
      os << info.name << ": field " << info.fields[i] << " = " << c.f[i]
         << " is negative";
      return os.str();
    }
  }
  int64_t N = t.arrayDim;
  auto tooWide = [&](const char *f, int64_t lim) -> std::optional<std::string> {
    if (c.at(f) > lim) {
      os << info.name << ": " << f << " = " << c.at(f)
         << " exceeds the array dimension " << lim;
      return os.str();
    }
    return std::nullopt;
  };
  if (c.kind == CmdKind::LoadWeights) {
    if (auto e = tooWide("k", N))
      return e;
    if (auto e = tooWide("n", N))
      return e;
  }
  if (c.kind == CmdKind::MxuTile)
    if (auto e = tooWide("k", N))
      return e;
  if (c.kind == CmdKind::Activate)
    if (auto e = tooWide("n", N))
      return e;
  if (c.kind == CmdKind::VecDepthwise || c.kind == CmdKind::VecPool)
    if (auto e = tooWide("chans", N))
      return e;
  if (c.kind == CmdKind::Activate || c.kind == CmdKind::VecAdd ||
      c.kind == CmdKind::VecRequant) {
    for (const char *e : {"exp", "exp_a", "exp_b"}) {
      int idx = fieldIndex(info, e);
      if (idx >= 0 && (c.f[idx] < -31 || c.f[idx] > 30)) {
        os << info.name << ": " << e << " = " << c.f[idx]
           << " outside [-31, 30]";
        return os.str();
      }
    }
  }
  for (const Access &a : commandAccesses(c, t)) {
    int64_t size = 0;
    switch (a.mem) {
    case Mem::UB:
      size = t.bufferBytes;
      break;
    case Mem::WB:
      size = t.weightBytes;
      break;
    case Mem::ACC:
      size = t.accRows * N;
      break;
    case Mem::DRAM: {
      int64_t b = a.buffer < 0 ? int64_t(dramBytes.size()) - 1 : a.buffer;
      if (b < 0 || b >= int64_t(dramBytes.size())) {
        os << info.name << ": DRAM buffer " << a.buffer << " does not exist ("
           << dramBytes.size() << " buffers)";
        return os.str();
      }
      size = dramBytes[b];
      break;
    }
    }
    if (a.begin < 0 || a.end > size) {
      os << info.name << ": " << (a.write ? "writes " : "reads ")
         << memName(a.mem);
      if (a.mem == Mem::DRAM)
        os << " buffer " << a.buffer;
      os << " [" << a.begin << ", " << a.end << ") outside its " << size
         << (a.mem == Mem::ACC ? " elements" : " bytes");
      return os.str();
    }
  }
  return std::nullopt;
}

static int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

int64_t qc::accel::commandCycles(const Command &c, const AccelTarget &t) {
  auto F = [&](const char *n) { return c.at(n); };
  auto dma = [&](int64_t bytes) {
    return t.dmaLatency + ceilDiv(bytes, t.dmaBytesPerCycle);
  };
  int64_t lanes = t.vectorLanes;
  switch (c.kind) {
  case CmdKind::DmaIn:
    return dma(F("rows") * F("cols"));
  case CmdKind::DmaWeights:
    return dma(F("bytes"));
  case CmdKind::DmaOut:
    return dma(F("rows") * F("cols"));
  case CmdKind::Im2Col:
    return dma(F("rows") * F("kcount"));
  case CmdKind::LoadWeights:
    return F("k");
  case CmdKind::MxuTile:
    // Fill, stream the rows, drain: N + rows + N cycles.
    return F("rows") + 2 * t.arrayDim;
  case CmdKind::VecDepthwise:
  case CmdKind::VecPool:
    return F("rows") * ceilDiv(F("chans") * F("taps"), lanes);
  case CmdKind::Activate:
    return F("rows") * ceilDiv(F("n"), lanes);
  case CmdKind::VecAdd:
  case CmdKind::VecLut:
  case CmdKind::VecRequant:
    return ceilDiv(F("n"), lanes);
  }
  return 0;
}

void Timeline::add(const Command &c, int64_t cycles) {
  Queue q = c.info().queue;
  int64_t start = queueEnd[q];
  for (int32_t w : c.waits)
    start = std::max(start, end[w]);
  int64_t e = start + cycles;
  end.push_back(e);
  queueEnd[q] = e;
  if (e > total) {
    if (c.layer >= 0) {
      if (layerCycles.size() <= size_t(c.layer))
        layerCycles.resize(c.layer + 1, 0);
      layerCycles[c.layer] += e - total;
    }
    total = e;
  }
}

Timeline qc::accel::estimate(const std::vector<Command> &cmds,
                             const AccelTarget &t, size_t numLayers) {
  Timeline tl;
  tl.layerCycles.assign(numLayers, 0);
  for (const Command &c : cmds)
    tl.add(c, commandCycles(c, t));
  return tl;
}

std::vector<int64_t> RegionProgram::dramBytes() const {
  std::vector<int64_t> v = inputBytes;
  v.insert(v.end(), outputBytes.begin(), outputBytes.end());
  v.push_back(scratchBytes);
  v.push_back(static_cast<int64_t>(weights.size()));
  return v;
}

//===----------------------------------------------------------------------===//
// Serialization
//===----------------------------------------------------------------------===//

namespace {
struct Writer {
  std::string out;
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i)
      out.push_back(char((v >> (8 * i)) & 0xff));
  }
  void i64(int64_t v) {
    uint64_t u = static_cast<uint64_t>(v);
    for (int i = 0; i < 8; ++i)
      out.push_back(char((u >> (8 * i)) & 0xff));
  }
  void str(const std::string &s) {
    u32(s.size());
    out += s;
  }
};
struct Reader {
  const std::string &in;
  size_t pos = 0;
  bool bad = false;
  bool need(size_t n) {
    if (bad || pos + n > in.size())
      bad = true;
    return !bad;
  }
  uint32_t u32() {
    if (!need(4))
      return 0;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
      v |= uint32_t(uint8_t(in[pos + i])) << (8 * i);
    pos += 4;
    return v;
  }
  int64_t i64() {
    if (!need(8))
      return 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
      v |= uint64_t(uint8_t(in[pos + i])) << (8 * i);
    pos += 8;
    return static_cast<int64_t>(v);
  }
  std::string str() {
    uint32_t n = u32();
    if (!need(n))
      return {};
    std::string s = in.substr(pos, n);
    pos += n;
    return s;
  }
};
} // namespace

static void writeCommands(Writer &w, const std::vector<Command> &cmds) {
  w.u32(cmds.size());
  for (const Command &c : cmds) {
    w.u32(uint32_t(c.kind) | (uint32_t(c.waits.size()) << 8) |
          (uint32_t(c.f.size()) << 16));
    w.u32(static_cast<uint32_t>(c.layer));
    for (int32_t x : c.waits)
      w.u32(static_cast<uint32_t>(x));
    for (int64_t x : c.f)
      w.i64(x);
  }
}

static bool readCommands(Reader &r, std::vector<Command> &cmds,
                         std::string &error) {
  uint32_t n = r.u32();
  if (r.bad || n > r.in.size()) {
    error = "truncated command list";
    return false;
  }
  for (uint32_t i = 0; i < n && !r.bad; ++i) {
    uint32_t head = r.u32();
    Command c;
    c.kind = CmdKind(head & 0xff);
    const CmdInfo *info = lookupCommand(c.kind);
    uint32_t nw = (head >> 8) & 0xff, nf = head >> 16;
    if (!info || nf != info->fields.size()) {
      error = "command " + std::to_string(i) + ": unknown opcode " +
              std::to_string(head & 0xff) + " or wrong field count";
      return false;
    }
    c.layer = static_cast<int32_t>(r.u32());
    for (uint32_t k = 0; k < nw; ++k) {
      int32_t w = static_cast<int32_t>(r.u32());
      if (w < 0 || uint32_t(w) >= i) {
        error = "command " + std::to_string(i) + " waits for command " +
                std::to_string(w) + ", which is not an earlier command";
        return false;
      }
      c.waits.push_back(w);
    }
    for (uint32_t k = 0; k < nf; ++k)
      c.f.push_back(r.i64());
    cmds.push_back(std::move(c));
  }
  if (r.bad)
    error = "truncated command";
  return !r.bad;
}

std::string qc::accel::serialize(const Program &p) {
  Writer w;
  w.out = "QCX1";
  w.u32(1);
  w.str(p.target.name);
  w.u32(p.regions.size());
  for (const RegionProgram &r : p.regions) {
    w.str(r.name);
    w.u32(r.inputBytes.size());
    for (int64_t b : r.inputBytes)
      w.i64(b);
    w.u32(r.outputBytes.size());
    for (int64_t b : r.outputBytes)
      w.i64(b);
    w.i64(r.scratchBytes);
    w.u32(r.layers.size());
    for (const std::string &l : r.layers)
      w.str(l);
    w.i64(r.weights.size());
    w.out.append(reinterpret_cast<const char *>(r.weights.data()),
                 r.weights.size());
    writeCommands(w, r.init);
    writeCommands(w, r.body);
  }
  return w.out;
}

std::optional<Program> qc::accel::deserialize(const std::string &bytes,
                                              std::string &error) {
  if (bytes.size() < 8 || bytes.compare(0, 4, "QCX1") != 0) {
    error = "not a qc accelerator command stream (bad magic)";
    return std::nullopt;
  }
  Reader r{bytes, 4};
  if (uint32_t v = r.u32(); v != 1) {
    error = "unsupported command stream version " + std::to_string(v);
    return std::nullopt;
  }
  std::string name = r.str();
  auto target = AccelTarget::get(name);
  if (!target) {
    error = "unknown target '" + name + "'";
    return std::nullopt;
  }
  Program p{*target, {}};
  uint32_t nr = r.u32();
  for (uint32_t i = 0; i < nr && !r.bad; ++i) {
    RegionProgram reg;
    reg.name = r.str();
    for (uint32_t k = 0, n = r.u32(); k < n && !r.bad; ++k)
      reg.inputBytes.push_back(r.i64());
    for (uint32_t k = 0, n = r.u32(); k < n && !r.bad; ++k)
      reg.outputBytes.push_back(r.i64());
    reg.scratchBytes = r.i64();
    for (uint32_t k = 0, n = r.u32(); k < n && !r.bad; ++k)
      reg.layers.push_back(r.str());
    int64_t wn = r.i64();
    if (wn < 0 || !r.need(size_t(wn)))
      break;
    reg.weights.assign(bytes.begin() + r.pos, bytes.begin() + r.pos + wn);
    r.pos += wn;
    if (!readCommands(r, reg.init, error) || !readCommands(r, reg.body, error))
      return std::nullopt;
    p.regions.push_back(std::move(reg));
  }
  if (r.bad) {
    error = "truncated command stream";
    return std::nullopt;
  }
  return p;
}

void qc::accel::printCommand(const Command &c, size_t index,
                             std::ostream &os) {
  const CmdInfo &info = c.info();
  os << "  " << index << ": " << info.name << " L" << c.layer;
  if (!c.waits.empty()) {
    os << " wait(";
    for (size_t i = 0; i < c.waits.size(); ++i)
      os << (i ? "," : "") << c.waits[i];
    os << ")";
  }
  for (size_t i = 0; i < info.fields.size(); ++i)
    os << " " << info.fields[i] << "=" << c.f[i];
  os << "\n";
}

void qc::accel::disassemble(const Program &p, std::ostream &os) {
  os << "qcx v1 " << p.target.describe() << "\n";
  for (const RegionProgram &r : p.regions) {
    os << "region " << r.name << " inputs=[";
    for (size_t i = 0; i < r.inputBytes.size(); ++i)
      os << (i ? "," : "") << r.inputBytes[i];
    os << "] outputs=[";
    for (size_t i = 0; i < r.outputBytes.size(); ++i)
      os << (i ? "," : "") << r.outputBytes[i];
    os << "] scratch=" << r.scratchBytes << " weights=" << r.weights.size()
       << "\n";
    for (size_t i = 0; i < r.layers.size(); ++i)
      os << "  layer L" << i << " " << r.layers[i] << "\n";
    os << " init " << r.init.size() << "\n";
    for (size_t i = 0; i < r.init.size(); ++i)
      printCommand(r.init[i], i, os);
    os << " body " << r.body.size() << "\n";
    for (size_t i = 0; i < r.body.size(); ++i)
      printCommand(r.body[i], i, os);
  }
}
