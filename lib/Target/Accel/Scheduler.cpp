//===- Scheduler.cpp - region-level ops to an etpu command stream ---------===//
#include "qc/Target/Accel/Scheduler.h"
#include "qc/Dialect/QCAccel/IR/QCAccelDialect.h"
#include "qc/Transforms/Utils.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <algorithm>
#include <map>
#include <tuple>

using namespace mlir;
using namespace qc::accel;

namespace {
constexpr int kStreamSlots = 3;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// The streaming window's slot size: one weight tile, one tile's
/// requantize records, or a table.
int64_t slotBytes(const AccelTarget &t) {
  return std::max({t.arrayDim * t.arrayDim, 12 * t.arrayDim, int64_t(256)});
}

struct Place {
  int64_t buf = -1, off = 0;
};

enum Space { SpaceUB, SpaceWB, SpaceACC, SpaceDRAM };
using Key = std::tuple<int, int64_t, int64_t>;

/// A layer's constant data: weights and requantize records, laid out in the
/// order its commands read them.
struct LayerData {
  Operation *op = nullptr;
  std::vector<int8_t> blob;
  int64_t base = 0;   ///< offset in the region's weight blob
  bool cached = false;
  int64_t wbAddr = 0; ///< where the cache holds it
  int64_t rereads = 1; ///< how many times a streamed copy is read
  int64_t macs = 0;
  const char *kind = "";
};

void putI32(std::vector<int8_t> &b, int32_t v) {
  for (int i = 0; i < 4; ++i)
    b.push_back(static_cast<int8_t>((static_cast<uint32_t>(v) >> (8 * i)) & 0xff));
}

/// Requantize records {bias, multiplier, exponent} for channels [c0, c1).
void putRecords(std::vector<int8_t> &b, ArrayRef<int64_t> bias, int64_t biasAdj,
                ArrayRef<int32_t> mult, ArrayRef<int32_t> shift, int64_t c0,
                int64_t c1) {
  for (int64_t c = c0; c < c1; ++c) {
    size_t f = mult.size() == 1 ? 0 : c;
    int64_t bb = (bias.empty() ? 0 : bias[c]) + biasAdj;
    putI32(b, static_cast<int32_t>(static_cast<uint32_t>(bb)));
    putI32(b, mult[f]);
    putI32(b, 31 - shift[f]);
  }
}

class Scheduler {
public:
  Scheduler(const AccelTarget &t, WeightCache &cache, Schedule &s,
            std::string &err)
      : t(t), N(t.arrayDim), bank(t.accRows / 2), slot(slotBytes(t)),
        cache(cache), s(s), err(err) {
    streamBase = t.weightBytes - kStreamSlots * slot;
  }

  bool run(func::FuncOp f);

private:
  const AccelTarget &t;
  int64_t N, bank, slot, streamBase;
  WeightCache &cache;
  Schedule &s;
  std::string &err;
  llvm::DenseMap<Value, Place> place;
  std::vector<LayerData> layers;
  struct SlotUse {
    int32_t writer = -1;
    std::array<int32_t, 3> readers = {-1, -1, -1};
  };
  std::map<Key, SlotUse> uses;
  std::array<int32_t, 3> barrier = {-1, -1, -1};
  std::array<bool, 3> barrierPending = {false, false, false};
  int streamNext = 0;
  int32_t layer = 0;

  bool fail(const std::string &m) {
    err = m;
    return false;
  }
  std::vector<Command> &body() { return s.program.body; }

  int32_t emit(Command c, std::initializer_list<Key> reads,
               std::initializer_list<Key> writes) {
    c.layer = layer;
    Queue q = c.info().queue;
    std::array<int32_t, 3> need = {-1, -1, -1};
    auto dep = [&](int32_t j) {
      if (j < 0)
        return;
      Queue qj = body()[j].info().queue;
      if (qj != q)
        need[qj] = std::max(need[qj], j);
    };
    if (barrierPending[q]) {
      for (int32_t b : barrier)
        dep(b);
      barrierPending[q] = false;
    }
    for (const Key &k : reads)
      dep(uses[k].writer);
    for (const Key &k : writes) {
      dep(uses[k].writer);
      for (int32_t r : uses[k].readers)
        dep(r);
    }
    for (int32_t n : need)
      if (n >= 0)
        c.waits.push_back(n);
    std::sort(c.waits.begin(), c.waits.end());
    int32_t idx = static_cast<int32_t>(body().size());
    body().push_back(std::move(c));
    for (const Key &k : reads)
      uses[k].readers[q] = idx;
    for (const Key &k : writes)
      uses[k] = SlotUse{idx, {-1, -1, -1}};
    return idx;
  }

  /// A new layer reuses UB, ACC and the stream window from address 0: its
  /// first command on each queue waits for the last layer's commands.
  void startLayer() {
    std::array<int32_t, 3> last = {-1, -1, -1};
    for (int32_t i = 0; i < int32_t(body().size()); ++i)
      last[body()[i].info().queue] = i;
    barrier = last;
    barrierPending = {true, true, true};
    for (auto it = uses.begin(); it != uses.end();)
      it = std::get<0>(it->first) == SpaceDRAM ? std::next(it) : uses.erase(it);
  }

  Key dramKey(Value v) {
    Place p = place.lookup(v);
    return {SpaceDRAM, p.buf, p.off};
  }

  /// The WB address of bytes [off, off + n) of the current layer's blob:
  /// in the cache, or streamed into the next window slot.
  std::pair<int64_t, Key> chunk(int64_t off, int64_t n) {
    LayerData &d = layers[layer];
    if (d.cached)
      return {d.wbAddr + off, Key{SpaceWB, d.wbAddr + off, 0}};
    int64_t addr = streamBase + (streamNext++ % kStreamSlots) * slot;
    Key k{SpaceWB, addr, 0};
    emit(makeCommand(CmdKind::DmaWeights, 0, {},
                     {{"off", d.base + off}, {"wb", addr}, {"bytes", n}}),
         {}, {k});
    return {addr, k};
  }

  void noteUB(int64_t bytes) { s.ubPeak = std::max(s.ubPeak, bytes); }
  void noteACC(int64_t elems) { s.accPeak = std::max(s.accPeak, elems); }

  bool planPlaces(func::FuncOp f);
  bool buildData(Operation *op, LayerData &d);
  bool emitMxu(Operation *op);
  bool emitWindow(Operation *op);
  bool emitElementwise(Operation *op);
};

} // namespace

WeightCache qc::accel::makeWeightCache(const AccelTarget &t) {
  return {t.weightBytes - kStreamSlots * slotBytes(t), 0};
}

static bool isLayer(Operation *op) {
  return isa<Conv2DOp, DepthwiseConv2DOp, MatmulOp, PoolOp, EltwiseOp, LutOp,
             RequantizeOp>(op);
}

static Value viewRoot(Value v) {
  while (Operation *d = v.getDefiningOp()) {
    if (!isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(d))
      break;
    v = d->getOperand(0);
  }
  return v;
}

static int64_t bytesOf(Value v) {
  return cast<ShapedType>(v.getType()).getNumElements();
}

bool Scheduler::planPlaces(func::FuncOp f) {
  for (BlockArgument a : f.getArguments()) {
    place[a] = {a.getArgNumber(), 0};
    s.program.inputBytes.push_back(bytesOf(a));
  }
  int64_t nIn = f.getNumArguments();
  auto ret = cast<func::ReturnOp>(f.getBody().front().getTerminator());
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    Value root = viewRoot(v);
    if (isa<BlockArgument>(root) || place.count(root))
      return fail("region result " + std::to_string(i) +
                  " is an input or another result (no layer writes it)");
    place[root] = {nIn + int64_t(i), 0};
    s.program.outputBytes.push_back(bytesOf(v));
  }
  int64_t scratch = nIn + ret.getNumOperands();
  for (Operation &op : f.getBody().front()) {
    if (isLayer(&op) && !place.count(op.getResult(0))) {
      place[op.getResult(0)] = {scratch, s.program.scratchBytes};
      s.program.scratchBytes += (bytesOf(op.getResult(0)) + 63) / 64 * 64;
    }
    if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(op))
      place[op.getResult(0)] = place.lookup(viewRoot(op.getResult(0)));
  }
  return true;
}

namespace {
/// Geometry of an MXU layer: pixels (or rows) P, reduction K, channels C.
struct MxuShape {
  int64_t P, K, C;
};
/// Geometry of a vector-unit window layer.
struct WindowShape {
  int64_t P, C, taps, cb;
};
} // namespace

/// Tiling of an MXU layer: M pixel rows per tile, channel tiles in groups
/// of G (each group's accumulators, G x M rows, fill one ACC bank).
struct MxuTiling {
  int64_t M, G;
};

static int64_t tileRows(int64_t P, int64_t perRow, int64_t ub, int64_t cap);

static MxuTiling mxuTiling(const MxuShape &sh, const AccelTarget &t) {
  int64_t N = t.arrayDim, bank = t.accRows / 2, nt = (sh.C + N - 1) / N;
  // Prefer all channel tiles at once (each window gathered once); with too
  // many channels for one bank, fewer rows, then channel groups.
  int64_t M = tileRows(sh.P, 4 * N, t.bufferBytes, std::max<int64_t>(1, bank / nt));
  return {M, std::min(nt, std::max<int64_t>(1, bank / M))};
}

static MxuShape mxuShape(Operation *op) {
  if (auto c = dyn_cast<Conv2DOp>(op)) {
    auto w = c.getWeight().getType(), o = c.getOutput().getType();
    return {o.getDimSize(2) * o.getDimSize(3),
            w.getDimSize(1) * w.getDimSize(2) * w.getDimSize(3), w.getDimSize(0)};
  }
  auto m = cast<MatmulOp>(op);
  return {m.getInput().getType().getDimSize(0),
          m.getInput().getType().getDimSize(1),
          m.getWeight().getType().getDimSize(0)};
}

static WindowShape windowShape(Operation *op, const AccelTarget &t,
                               int64_t slot) {
  auto out = cast<ShapedType>(op->getResult(0).getType());
  int64_t taps;
  if (auto d = dyn_cast<DepthwiseConv2DOp>(op))
    taps = d.getWeight().getType().getDimSize(2) *
           d.getWeight().getType().getDimSize(3);
  else
    taps = cast<PoolOp>(op).getKernel()[0] * cast<PoolOp>(op).getKernel()[1];
  int64_t C = out.getDimSize(1);
  // Channels per step: at most an ACC row, and their requantize records (and
  // depthwise weights) in one window slot. 0 when one channel does not fit.
  int64_t perChannel = 12 + (isa<DepthwiseConv2DOp>(op) ? taps : 0);
  int64_t cb = std::min({C, t.arrayDim, slot / perChannel});
  return {out.getDimSize(2) * out.getDimSize(3), C, taps, cb};
}

/// Largest pixel tile M with `perRow * M <= ub` and M <= cap.
static int64_t tileRows(int64_t P, int64_t perRow, int64_t ub, int64_t cap) {
  return std::min({P, ub / std::max<int64_t>(perRow, 1), cap});
}

bool Scheduler::buildData(Operation *op, LayerData &d) {
  d.op = op;
  auto requant = [&](Operation *o) {
    return std::make_tuple(o->getAttrOfType<DenseI32ArrayAttr>("multiplier").asArrayRef(),
                           o->getAttrOfType<DenseI32ArrayAttr>("shift").asArrayRef());
  };
  if (isa<Conv2DOp, MatmulOp>(op)) {
    d.kind = isa<Conv2DOp>(op) ? "conv2d" : "matmul";
    auto w = qc::getConstantI64(op->getOperand(1));
    auto b = qc::getConstantI64(op->getOperand(2));
    if (!w || !b)
      return fail("weights or bias are not constants");
    auto [mult, shift] = requant(op);
    MxuShape sh = mxuShape(op);
    int64_t kt = ceilDiv(sh.K, N), nt = ceilDiv(sh.C, N);
    MxuTiling tl = mxuTiling(sh, t);
    if (tl.M < 1)
      return fail("UB cannot hold one row of " + std::to_string(N) +
                  "-wide tiles");
    d.rereads = ceilDiv(sh.P, tl.M);
    d.macs = sh.P * sh.K * sh.C;
    for (int64_t n = 0; n < nt; ++n) {
      int64_t n0 = n * N, n1 = std::min(sh.C, n0 + N);
      putRecords(d.blob, *b, 0, mult, shift, n0, n1);
      for (int64_t k = 0; k < kt; ++k) {
        int64_t k0 = k * N, k1 = std::min(sh.K, k0 + N);
        for (int64_t kk = k0; kk < k1; ++kk)
          for (int64_t c = n0; c < n1; ++c)
            d.blob.push_back(static_cast<int8_t>((*w)[c * sh.K + kk]));
      }
    }
    return true;
  }
  if (isa<DepthwiseConv2DOp, PoolOp>(op)) {
    WindowShape sh = windowShape(op, t, slot);
    if (sh.cb < 1)
      return fail("one channel's weights and requantize record (" +
                  std::to_string(12 + sh.taps) +
                  " bytes) exceed a weight-cache slot (" + std::to_string(slot) +
                  " bytes)");
    auto [mult, shift] = requant(op);
    std::optional<SmallVector<int64_t>> w, b;
    int64_t biasAdj = 0;
    std::vector<int32_t> idMult(1, 1 << 30), idShift(1, 30);
    ArrayRef<int32_t> m = mult, sft = shift;
    if (auto dw = dyn_cast<DepthwiseConv2DOp>(op)) {
      d.kind = "depthwise_conv2d";
      w = qc::getConstantI64(dw.getWeight());
      b = qc::getConstantI64(dw.getBias());
      if (!w || !b)
        return fail("weights or bias are not constants");
      d.macs = sh.P * sh.C * sh.taps;
    } else if (cast<PoolOp>(op).getKind() == "max") {
      d.kind = "max_pool";
      m = idMult; // the identity: MBQM(x, 2^30, 1) = x
      sft = idShift;
    } else {
      d.kind = "avg_pool";
    }
    int64_t M = tileRows(sh.P, 2 * sh.cb * sh.taps + 2 * sh.cb, t.bufferBytes,
                         bank);
    if (M < 1)
      return fail("a " + std::to_string(sh.cb) + "-channel window of " +
                  std::to_string(sh.taps) + " taps does not fit UB");
    d.rereads = ceilDiv(sh.P, M);
    for (int64_t c0 = 0; c0 < sh.C; c0 += sh.cb) {
      int64_t c1 = std::min(sh.C, c0 + sh.cb);
      putRecords(d.blob, b ? ArrayRef<int64_t>(*b) : ArrayRef<int64_t>(),
                 biasAdj, m, sft, c0, c1);
      if (w)
        for (int64_t i = c0 * sh.taps; i < c1 * sh.taps; ++i)
          d.blob.push_back(static_cast<int8_t>((*w)[i]));
    }
    return true;
  }
  if (auto lut = dyn_cast<LutOp>(op)) {
    d.kind = "lut";
    auto table = qc::getConstantI64(lut.getTable());
    if (!table)
      return fail("the table is not a constant");
    for (int64_t v : *table)
      d.blob.push_back(static_cast<int8_t>(v));
    return true;
  }
  d.kind = isa<EltwiseOp>(op) ? "add" : "requantize";
  return true;
}

bool Scheduler::emitMxu(Operation *op) {
  bool isConv = isa<Conv2DOp>(op);
  MxuShape sh = mxuShape(op);
  int64_t kt = ceilDiv(sh.K, N), nt = ceilDiv(sh.C, N);
  auto [M, G] = mxuTiling(sh, t);
  int32_t inZp = static_cast<int32_t>(
      op->getAttrOfType<IntegerAttr>("input_zp").getValue().getSExtValue());
  Value in = op->getOperand(0), out = op->getResult(0);
  Place pin = place.lookup(viewRoot(in)), pout = place.lookup(out);
  auto requant = [&](const char *n) {
    return op->getAttrOfType<IntegerAttr>(n).getValue().getSExtValue();
  };
  noteUB(4 * M * N);
  noteACC(2 * bank * N);
  // Blob offsets of each channel tile's records and weight tiles.
  std::vector<int64_t> recOff(nt), tileOff(nt * kt);
  int64_t off = 0;
  for (int64_t n = 0; n < nt; ++n) {
    int64_t nc = std::min(N, sh.C - n * N);
    recOff[n] = off;
    off += 12 * nc;
    for (int64_t k = 0; k < kt; ++k) {
      tileOff[n * kt + k] = off;
      off += std::min(N, sh.K - k * N) * nc;
    }
  }
  int64_t aSlot = 0, oSlot = 0, tiles = 0, it = 0;
  for (int64_t p0 = 0; p0 < sh.P; p0 += M) {
    int64_t rows = std::min(M, sh.P - p0);
    for (int64_t g0 = 0; g0 < nt; g0 += G, ++it) {
      int64_t g1 = std::min(nt, g0 + G);
      int64_t accBase = (it % 2) * bank * N;
      for (int64_t k = 0; k < kt; ++k) {
        int64_t k0 = k * N, kc = std::min(N, sh.K - k0);
        int64_t ub = (aSlot++ % 2) * M * N;
        Key aKey{SpaceUB, ub, 0};
        if (isConv) {
          auto c = cast<Conv2DOp>(op);
          auto it4 = c.getInput().getType();
          auto w = c.getWeight().getType();
          emit(makeCommand(CmdKind::Im2Col, 0, {},
                           {{"buf", pin.buf}, {"off", pin.off},
                            {"channels", it4.getDimSize(1)},
                            {"height", it4.getDimSize(2)},
                            {"width", it4.getDimSize(3)},
                            {"kh", w.getDimSize(2)}, {"kw", w.getDimSize(3)},
                            {"sh", c.getStrides()[0]}, {"sw", c.getStrides()[1]},
                            {"ph", c.getPads()[0]}, {"pw", c.getPads()[1]},
                            {"dh", c.getDilations()[0]},
                            {"dw", c.getDilations()[1]},
                            {"out_w", c.getOutput().getType().getDimSize(3)},
                            {"pixel0", p0}, {"rows", rows}, {"k0", k0},
                            {"kcount", kc}, {"ub", ub}, {"fill", inZp}}),
               {dramKey(viewRoot(in))}, {aKey});
        } else {
          emit(makeCommand(CmdKind::DmaIn, 0, {},
                           {{"buf", pin.buf}, {"off", pin.off + p0 * sh.K + k0},
                            {"ub", ub}, {"rows", rows}, {"cols", kc},
                            {"src_stride", sh.K}, {"ub_stride", kc}}),
               {dramKey(viewRoot(in))}, {aKey});
        }
        s.dramReadBytes += rows * kc;
        for (int64_t n = g0; n < g1; ++n) {
          int64_t nc = std::min(N, sh.C - n * N);
          auto [wb, wKey] = chunk(tileOff[n * kt + k], kc * nc);
          emit(makeCommand(CmdKind::LoadWeights, 0, {},
                           {{"wb", wb}, {"k", kc}, {"n", nc}}),
               {wKey}, {});
          int64_t acc = accBase + (n - g0) * M * N;
          emit(makeCommand(CmdKind::MxuTile, 0, {},
                           {{"ub", ub}, {"rows", rows}, {"k", kc},
                            {"ub_stride", kc}, {"acc", acc}, {"zp", inZp},
                            {"accumulate", k > 0}}),
               {aKey}, {Key{SpaceACC, acc, 0}});
          ++tiles;
        }
      }
      for (int64_t n = g0; n < g1; ++n) {
        int64_t n0 = n * N, nc = std::min(N, sh.C - n0);
        int64_t acc = accBase + (n - g0) * M * N;
        auto [wb, rKey] = chunk(recOff[n], 12 * nc);
        int64_t ub = 2 * M * N + (oSlot++ % 2) * N * M;
        Key oKey{SpaceUB, ub, 0};
        emit(makeCommand(CmdKind::Activate, 0, {},
                         {{"acc", acc}, {"rows", rows}, {"n", nc}, {"wb", wb},
                          {"ub", ub}, {"ub_stride", rows},
                          {"zp", requant("output_zp")}, {"lo", requant("min")},
                          {"hi", requant("max")}}),
             {Key{SpaceACC, acc, 0}, rKey}, {oKey});
        int64_t dst =
            isConv ? pout.off + n0 * sh.P + p0 : pout.off + p0 * sh.C + n0;
        emit(makeCommand(CmdKind::DmaOut, 0, {},
                         {{"ub", ub}, {"buf", pout.buf}, {"off", dst},
                          {"rows", nc}, {"cols", rows}, {"ub_stride", rows},
                          {"row_stride", isConv ? sh.P : 1},
                          {"col_stride", isConv ? 1 : sh.C}}),
             {oKey}, {dramKey(out)});
        s.dramWriteBytes += nc * rows;
      }
    }
  }
  s.layers.back().tiles = tiles;
  return true;
}

bool Scheduler::emitWindow(Operation *op) {
  WindowShape sh = windowShape(op, t, slot);
  int64_t M = tileRows(sh.P, 2 * sh.cb * sh.taps + 2 * sh.cb, t.bufferBytes,
                       bank);
  auto dw = dyn_cast<DepthwiseConv2DOp>(op);
  auto pool = dyn_cast<PoolOp>(op);
  bool isMax = pool && pool.getKind() == "max";
  auto attrI = [&](const char *n) {
    return op->getAttrOfType<IntegerAttr>(n).getValue().getSExtValue();
  };
  auto arr = [&](const char *n) {
    return op->getAttrOfType<DenseI64ArrayAttr>(n).asArrayRef();
  };
  int64_t inZp = attrI("input_zp");
  ArrayRef<int64_t> strides = arr("strides"), pads = arr("pads");
  int64_t kh, kw, dh = 1, dwd = 1;
  if (dw) {
    kh = dw.getWeight().getType().getDimSize(2);
    kw = dw.getWeight().getType().getDimSize(3);
    dh = dw.getDilations()[0];
    dwd = dw.getDilations()[1];
  } else {
    kh = pool.getKernel()[0];
    kw = pool.getKernel()[1];
  }
  Value in = op->getOperand(0), out = op->getResult(0);
  auto inT = cast<ShapedType>(in.getType());
  Place pin = place.lookup(viewRoot(in)), pout = place.lookup(out);
  int64_t aBytes = M * sh.cb * sh.taps;
  noteUB(2 * aBytes + 2 * sh.cb * M);
  noteACC(2 * bank * N);
  std::vector<int64_t> chunkOff;
  for (int64_t c0 = 0, off = 0; c0 < sh.C; c0 += sh.cb) {
    int64_t cc = std::min(sh.cb, sh.C - c0);
    chunkOff.push_back(off);
    off += 12 * cc + (dw ? cc * sh.taps : 0);
  }
  int64_t it = 0, tiles = 0;
  for (int64_t p0 = 0; p0 < sh.P; p0 += M) {
    int64_t rows = std::min(M, sh.P - p0);
    for (int64_t c0 = 0, ci = 0; c0 < sh.C; c0 += sh.cb, ++ci, ++it) {
      int64_t cc = std::min(sh.cb, sh.C - c0);
      int64_t ub = (it % 2) * aBytes;
      Key aKey{SpaceUB, ub, 0};
      emit(makeCommand(CmdKind::Im2Col, 0, {},
                       {{"buf", pin.buf}, {"off", pin.off},
                        {"channels", inT.getDimSize(1)},
                        {"height", inT.getDimSize(2)},
                        {"width", inT.getDimSize(3)}, {"kh", kh}, {"kw", kw},
                        {"sh", strides[0]}, {"sw", strides[1]},
                        {"ph", pads[0]}, {"pw", pads[1]}, {"dh", dh},
                        {"dw", dwd},
                        {"out_w", cast<ShapedType>(out.getType()).getDimSize(3)},
                        {"pixel0", p0}, {"rows", rows},
                        {"k0", c0 * sh.taps}, {"kcount", cc * sh.taps},
                        {"ub", ub}, {"fill", isMax ? -128 : inZp}}),
           {dramKey(viewRoot(in))}, {aKey});
      s.dramReadBytes += rows * cc * sh.taps;
      int64_t acc = (it % 2) * bank * N;
      Key accKey{SpaceACC, acc, 0};
      auto [wb, rKey] = chunk(chunkOff[ci], 12 * cc + (dw ? cc * sh.taps : 0));
      if (dw)
        emit(makeCommand(CmdKind::VecDepthwise, 0, {},
                         {{"ub", ub}, {"rows", rows}, {"chans", cc},
                          {"taps", sh.taps}, {"wb", wb + 12 * cc}, {"acc", acc},
                          {"zp", inZp}}),
             {aKey, rKey}, {accKey});
      else
        emit(makeCommand(CmdKind::VecPool, 0, {},
                         {{"ub", ub}, {"rows", rows}, {"chans", cc},
                          {"taps", sh.taps}, {"acc", acc},
                          {"mode", isMax ? 0 : 1}, {"zp", inZp}}),
             {aKey}, {accKey});
      int64_t oub = 2 * aBytes + (it % 2) * sh.cb * M;
      Key oKey{SpaceUB, oub, 0};
      emit(makeCommand(CmdKind::Activate, 0, {},
                       {{"acc", acc}, {"rows", rows}, {"n", cc}, {"wb", wb},
                        {"ub", oub}, {"ub_stride", rows},
                        {"zp", attrI("output_zp")}, {"lo", attrI("min")},
                        {"hi", attrI("max")}}),
           {accKey, rKey}, {oKey});
      emit(makeCommand(CmdKind::DmaOut, 0, {},
                       {{"ub", oub}, {"buf", pout.buf},
                        {"off", pout.off + c0 * sh.P + p0}, {"rows", cc},
                        {"cols", rows}, {"ub_stride", rows},
                        {"row_stride", sh.P}, {"col_stride", 1}}),
           {oKey}, {dramKey(out)});
      s.dramWriteBytes += cc * rows;
      ++tiles;
    }
  }
  s.layers.back().tiles = tiles;
  return true;
}

bool Scheduler::emitElementwise(Operation *op) {
  Value out = op->getResult(0);
  int64_t E = bytesOf(out);
  auto add = dyn_cast<EltwiseOp>(op);
  int64_t bufs = add ? 3 : 2;
  int64_t ch = std::min(E, t.bufferBytes / (2 * bufs));
  if (ch < 1)
    return fail("UB cannot hold an element chunk");
  noteUB(2 * bufs * ch);
  auto attrI = [&](const char *n) {
    return op->getAttrOfType<IntegerAttr>(n).getValue().getSExtValue();
  };
  auto first = [&](const char *n) {
    return int64_t(op->getAttrOfType<DenseI32ArrayAttr>(n).asArrayRef()[0]);
  };
  Place pout = place.lookup(out);
  std::pair<int64_t, Key> table{0, Key{}};
  if (isa<LutOp>(op))
    table = chunk(0, 256);
  int64_t tiles = 0;
  for (int64_t e0 = 0, it = 0; e0 < E; e0 += ch, ++it) {
    int64_t n = std::min(ch, E - e0), base = (it % 2) * bufs * ch;
    auto load = [&](Value v, int64_t ub) {
      Place p = place.lookup(viewRoot(v));
      emit(makeCommand(CmdKind::DmaIn, 0, {},
                       {{"buf", p.buf}, {"off", p.off + e0}, {"ub", ub},
                        {"rows", 1}, {"cols", n}, {"src_stride", n},
                        {"ub_stride", n}}),
           {dramKey(viewRoot(v))}, {Key{SpaceUB, ub, 0}});
      s.dramReadBytes += n;
    };
    int64_t outUb = base + (bufs - 1) * ch;
    Key oKey{SpaceUB, outUb, 0};
    load(op->getOperand(0), base);
    if (add) {
      load(add.getRhs(), base + ch);
      emit(makeCommand(CmdKind::VecAdd, 0, {},
                       {{"ub_a", base}, {"ub_b", base + ch}, {"n", n},
                        {"ub_out", outUb}, {"zp_a", add.getLhsZp()},
                        {"mult_a", add.getLhsMultiplier()},
                        {"exp_a", 31 - add.getLhsShift()},
                        {"zp_b", add.getRhsZp()},
                        {"mult_b", add.getRhsMultiplier()},
                        {"exp_b", 31 - add.getRhsShift()},
                        {"zp_sum", add.getSumZp()},
                        {"mult", first("multiplier")},
                        {"exp", 31 - first("shift")},
                        {"zp", attrI("output_zp")}, {"lo", attrI("min")},
                        {"hi", attrI("max")}}),
           {Key{SpaceUB, base, 0}, Key{SpaceUB, base + ch, 0}}, {oKey});
    } else if (isa<LutOp>(op)) {
      emit(makeCommand(CmdKind::VecLut, 0, {},
                       {{"ub", base}, {"n", n}, {"wb", table.first},
                        {"ub_out", outUb}}),
           {Key{SpaceUB, base, 0}, table.second}, {oKey});
    } else {
      emit(makeCommand(CmdKind::VecRequant, 0, {},
                       {{"ub", base}, {"n", n}, {"ub_out", outUb},
                        {"zp_in", attrI("input_zp")},
                        {"mult", first("multiplier")},
                        {"exp", 31 - first("shift")},
                        {"zp", attrI("output_zp")}, {"lo", attrI("min")},
                        {"hi", attrI("max")}}),
           {Key{SpaceUB, base, 0}}, {oKey});
    }
    emit(makeCommand(CmdKind::DmaOut, 0, {},
                     {{"ub", outUb}, {"buf", pout.buf}, {"off", pout.off + e0},
                      {"rows", 1}, {"cols", n}, {"ub_stride", n},
                      {"row_stride", n}, {"col_stride", 1}}),
         {oKey}, {dramKey(out)});
    s.dramWriteBytes += n;
    ++tiles;
  }
  s.layers.back().tiles = tiles;
  return true;
}

bool Scheduler::run(func::FuncOp f) {
  if (!planPlaces(f))
    return false;
  for (Operation &op : f.getBody().front()) {
    if (!isLayer(&op))
      continue;
    LayerData d;
    layer = static_cast<int32_t>(layers.size());
    if (!buildData(&op, d))
      return fail(qc::getTensorName(op.getLoc()) + ": " + err);
    layers.push_back(std::move(d));
  }
  // Cache the layers whose streamed copy would be re-read most often (most
  // DMA saved per cached byte); the rest stream. Ties: program order.
  std::vector<size_t> order(layers.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return layers[a].rereads > layers[b].rereads;
  });
  for (size_t i : order) {
    LayerData &d = layers[i];
    int64_t bytes = (int64_t(d.blob.size()) + 3) / 4 * 4;
    if (!d.blob.empty() && cache.used + bytes <= cache.capacity) {
      d.cached = true;
      d.wbAddr = cache.used;
      cache.used += bytes;
    }
  }
  for (LayerData &d : layers) {
    d.base = s.program.weights.size();
    s.program.weights.insert(s.program.weights.end(), d.blob.begin(),
                             d.blob.end());
    if (d.cached)
      s.program.init.push_back(makeCommand(
          CmdKind::DmaWeights, static_cast<int32_t>(&d - layers.data()), {},
          {{"off", d.base},
           {"wb", d.wbAddr},
           {"bytes", int64_t(d.blob.size())}}));
  }
  for (size_t i = 0; i < layers.size(); ++i) {
    layer = static_cast<int32_t>(i);
    Operation *op = layers[i].op;
    std::string name = qc::getTensorName(op->getLoc());
    s.program.layers.push_back(name.empty() ? layers[i].kind : name);
    s.layers.push_back({s.program.layers.back(), layers[i].kind,
                        layers[i].macs, int64_t(layers[i].blob.size()),
                        layers[i].cached, 0, 0});
    startLayer();
    bool ok = isa<Conv2DOp, MatmulOp>(op)                ? emitMxu(op)
              : isa<DepthwiseConv2DOp, PoolOp>(op) ? emitWindow(op)
                                                         : emitElementwise(op);
    if (!ok)
      return fail(s.program.layers.back() + ": " + err);
  }
  s.timeline = estimate(s.program.body, t, layers.size());
  for (size_t i = 0; i < layers.size(); ++i)
    s.layers[i].cycles = s.timeline.layerCycles[i];
  std::vector<int64_t> dram = s.program.dramBytes();
  for (const auto *list : {&s.program.init, &s.program.body})
    for (const Command &c : *list)
      if (auto e = checkCommand(c, t, dram))
        return fail("internal: scheduled an invalid command: " + *e);
  return true;
}

std::optional<Schedule> qc::accel::scheduleRegion(func::FuncOp region,
                                                  const AccelTarget &t,
                                                  WeightCache &cache,
                                                  std::string &error) {
  Schedule s;
  s.program.name = region.getSymName().str();
  WeightCache trial = cache;
  Scheduler sched(t, trial, s, error);
  if (!sched.run(region))
    return std::nullopt;
  cache = trial;
  return s;
}
