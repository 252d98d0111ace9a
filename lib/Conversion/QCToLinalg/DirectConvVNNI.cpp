//===- DirectConvVNNI.cpp - int8 conv on AVX-512 VNNI without im2col ------===//
//
// A group-1 conv is out[f][oh][ow] = sum over c, kh, kw of w[f][c][kh][kw]
// x[c][oh sh + kh dh][ow sw + kw dw], x padded with the input zero point.
// Split the padded input into its sh x sw stride phases of Hh x Wh pixels,
//   X[ph][pw][c][hh][wh] = x[c][hh sh + ph][wh sw + pw],
// and tap (kh, kw) reads phase ((kh dh) % sh, (kw dw) % sw) shifted by
// ((kh dh) / sh) rows and ((kw dw) / sw) columns. On the phase grid, rows
// of Wh pixels flattened, output pixel q = oh Wh + ow reads pixel q + off(tap)
// of its phase: a contiguous run for 16 consecutive q. The kernel computes
// every q in [0, OH Wh) -- the columns ow >= OW are wasted work, dropped by
// a slice afterwards -- on the phases with 4 channels interleaved per pixel,
// the [16][4] bytes vpdpbusd wants:
//   X4[phase][c4][q][j] = X[phase][4 c4 + j][q] ^ 0x80   (the qc_dc_x4
//                    kernel, which also pads: 16 pixels per vector)
//   for each block of MR output channels f, NV blocks of 16 q (parallel):
//     acc[r][i] = bias''[f + r]
//     for c4: for each tap t (unrolled):
//       acc[r][i] = vpdpbusd(acc[r][i], X4[phase(t)][c4][q_i + off(t) ...],
//                            broadcast(w[f + r][4 c4 .. 4 c4 + 3][t]))
//     out[f + r][q_i ...] = requantize(acc[r][i])
// Channels are padded to multiples of 4 (zero weights) and of MR, pixels to
// multiples of 16 NV, and X4 has rows past the last one a tap reaches, so
// the kernel has no tails. The unsigned shift's correction -128 sum(w) is in
// the bias, as in the gemm kernel: the same wrapping int32 sums and
// requantize as the generic lowering, so the same outputs.
//
//===----------------------------------------------------------------------===//
#include "GemmVNNI.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace qc;

namespace {
constexpr int64_t kLanes = 16, kMR = 8, kNV = 2;
// Largest packed weights (bytes) for which threads split a conv by rows:
// each core then reads all of them, so they should fit half its L2.
constexpr int64_t kRowSplitMaxWeights = 512 * 1024;
// Blocks of rows the relayout's threads share, of pixel groups the conv's.
constexpr int64_t kRowBlocks = 2, kPixelBlocks = 16;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

struct DirectConv {
  OpBuilder &b;
  Location loc;
  Value x, out, w, bias, requant;
  ArrayRef<int64_t> taps; // per tap: X4 row offset (phase C4), byte offset
  int64_t C4;
  int32_t zp = 0, lo = 0, hi = 0;

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  VectorType vec(int64_t n, Type t) { return VectorType::get({n}, t); }
  Value add(Value a, int64_t v) { return arith::AddIOp::create(b, loc, a, idx(v)); }

  /// for i in [0, n): f(i), with static bounds (qc-parallel-loops counts
  /// the work).
  void forN(int64_t n, function_ref<void(Value)> f) {
    scf::ForOp::create(b, loc, idx(0), idx(n), idx(1), ValueRange{},
                       [&](OpBuilder &, Location, Value i, ValueRange) {
                         f(i);
                         scf::YieldOp::create(b, loc);
                       });
  }

  /// Output channels [fb MR, fb MR + MR) x pixels [q, q + 16 NV).
  void tile(Value fb, Value q) {
    auto v16 = vec(kLanes, b.getI32Type());
    auto v64 = vec(4 * kLanes, b.getI8Type());
    Value f = arith::MulIOp::create(b, loc, fb, idx(kMR));
    Value q4 = arith::MulIOp::create(b, loc, q, idx(4));
    SmallVector<Value> init;
    for (int64_t r = 0; r < kMR; ++r)
      init.append(kNV, vector::BroadcastOp::create(
                           b, loc, v16,
                           memref::LoadOp::create(b, loc, bias, add(f, r))));
    int64_t T = static_cast<int64_t>(taps.size()) / 2;
    auto loop = scf::ForOp::create(
        b, loc, idx(0), idx(C4), idx(1), init,
        [&](OpBuilder &, Location, Value c4, ValueRange accs) {
          SmallVector<Value> acc(accs);
          Value wRow = arith::MulIOp::create(b, loc, c4, idx(T * kMR * 4));
          for (int64_t t = 0; t < T; ++t) {
            Value row = add(c4, taps[2 * t]);
            SmallVector<Value> xs;
            for (int64_t i = 0; i < kNV; ++i)
              xs.push_back(vector::LoadOp::create(
                  b, loc, v64, x,
                  ValueRange{row, add(q4, taps[2 * t + 1] + 4 * kLanes * i)}));
            for (int64_t r = 0; r < kMR; ++r) {
              // w[f + r][4 c4 .. 4 c4 + 3][t], broadcast.
              Value wv = broadcastWord(b, loc, w,
                                       ValueRange{fb, add(wRow, (t * kMR + r) * 4)});
              for (int64_t i = 0; i < kNV; ++i)
                acc[r * kNV + i] = dpbusd(b, loc, acc[r * kNV + i], xs[i], wv);
            }
          }
          scf::YieldOp::create(b, loc, acc);
        });
    for (int64_t r = 0; r < kMR; ++r) {
      Value fr = add(f, r), m, sh;
      if (requant) {
        m = vector::BroadcastOp::create(
            b, loc, v16, memref::LoadOp::create(b, loc, requant, ValueRange{idx(0), fr}));
        sh = vector::BroadcastOp::create(
            b, loc, v16, memref::LoadOp::create(b, loc, requant, ValueRange{idx(1), fr}));
      }
      for (int64_t i = 0; i < kNV; ++i) {
        Value acc = loop.getResult(r * kNV + i);
        if (requant)
          acc = requantizeLanes(b, loc, acc, m, sh, zp, lo, hi);
        vector::StoreOp::create(b, loc, acc, out,
                                ValueRange{fr, add(q, kLanes * i)});
      }
    }
  }

  /// Every tile; with `parallel` an scf.parallel (qc-parallel-loops keeps
  /// the dims worth sharing out): with `rows`, over blocks of pixel groups,
  /// so that threads split the image by rows like the relayout before them
  /// and each reads the X4 rows it wrote (a line the other core holds costs
  /// ~0.4 us on the dev host); else over (channel block, pixel group).
  void body(int64_t FB, int64_t groups, bool parallel, bool rows) {
    int64_t step = kNV * kLanes;
    if (parallel) {
      if (!rows) {
        scf::ParallelOp::create(b, loc, ValueRange{idx(0), idx(0)},
                                ValueRange{idx(FB), idx(groups * step)},
                                ValueRange{idx(1), idx(step)},
                                [&](OpBuilder &, Location, ValueRange iv) {
                                  tile(iv[0], iv[1]);
                                });
        return;
      }
      // Blocks of pixel groups; in a block, channel block by channel block
      // (each block's weights stay in L1 over its groups).
      int64_t GB = ceilDiv(groups, kPixelBlocks), NQ = ceilDiv(groups, GB);
      scf::ParallelOp::create(
          b, loc, ValueRange{idx(0)}, ValueRange{idx(NQ)}, ValueRange{idx(1)},
          [&](OpBuilder &, Location, ValueRange iv) {
            Value g0 = arith::MulIOp::create(b, loc, iv[0], idx(GB));
            forN(FB, [&](Value fb) {
              forN(GB, [&](Value i) {
                Value g = arith::AddIOp::create(b, loc, g0, i);
                scf::IfOp::create(
                    b, loc,
                    arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, g, idx(groups)),
                    [&](OpBuilder &, Location) {
                      tile(fb, arith::MulIOp::create(b, loc, g, idx(step)));
                      scf::YieldOp::create(b, loc);
                    });
              });
            });
          });
      return;
    }
    scf::ForOp::create(
        b, loc, idx(0), idx(FB), idx(1), ValueRange{},
        [&](OpBuilder &, Location, Value fb, ValueRange) {
          scf::ForOp::create(b, loc, idx(0), idx(groups * step), idx(step),
                             ValueRange{},
                             [&](OpBuilder &, Location, Value q, ValueRange) {
                               tile(fb, q);
                               scf::YieldOp::create(b, loc);
                             });
          scf::YieldOp::create(b, loc);
        });
  }
};
} // namespace

FailureOr<Value> qc::buildDirectConvVNNI(OpBuilder &cb, Conv2DOp op,
                                         ArrayRef<int64_t> w,
                                         ArrayRef<int64_t> bias,
                                         RequantizeOp requant) {
  auto inTy = op.getInput().getType();
  auto outTy = op.getOutput().getType();
  auto wTy = op.getWeight().getType();
  int64_t C = inTy.getDimSize(1), H = inTy.getDimSize(2), W = inTy.getDimSize(3);
  int64_t F = outTy.getDimSize(1), OH = outTy.getDimSize(2), OW = outTy.getDimSize(3);
  int64_t KH = wTy.getDimSize(2), KW = wTy.getDimSize(3), T = KH * KW;
  ArrayRef<int64_t> st = op.getStrides(), dl = op.getDilations(), pads = op.getPads();
  int64_t sh = st[0], sw = st[1];
  // The phases the taps read: all of a strided dim's, or phase 0 alone for a
  // kernel 1 wide.
  int64_t PH = KH == 1 ? 1 : sh, PW = KW == 1 ? 1 : sw;
  int64_t C4 = ceilDiv(C, 4), FB = ceilDiv(F, kMR);
  int64_t Wh = ceilDiv(W + pads[1] + pads[3], sw);
  SmallVector<int64_t> taps;
  int64_t offMax = 0;
  for (int64_t kh = 0; kh < KH; ++kh)
    for (int64_t kw = 0; kw < KW; ++kw) {
      int64_t rh = kh * dl[0], rw = kw * dl[1];
      int64_t off = (rh / sh) * Wh + rw / sw;
      taps.append({((rh % sh) * PW + rw % sw) * C4, 4 * off});
      offMax = std::max(offMax, off);
    }
  int64_t step = kNV * kLanes, groups = ceilDiv(OH * Wh, step);
  int64_t Lout = groups * step;
  int64_t Hh = std::max(ceilDiv(Lout + offMax, Wh), ceilDiv(H + pads[0], sh));

  // Weights [FB][C4][T][MR][4 channels] (stored [FB][C4 T MR 4]) (4 channels, little-endian), zero past
  // C and F; the bias with the unsigned shift's correction.
  SmallVector<int8_t> wq(FB * C4 * T * kMR * 4, 0);
  SmallVector<int32_t> bq(FB * kMR, 0);
  for (int64_t f = 0; f < F; ++f) {
    int64_t sum = 0;
    for (int64_t c = 0; c < C; ++c)
      for (int64_t t = 0; t < T; ++t) {
        int64_t v = w[(f * C + c) * T + t];
        sum += v;
        wq[(((f / kMR * C4 + c / 4) * T + t) * kMR + f % kMR) * 4 + c % 4] =
            static_cast<int8_t>(v);
      }
    int64_t nb = bias[f] - 128 * sum - (requant ? requant.getInputZp() : 0);
    if (nb < INT32_MIN || nb > INT32_MAX)
      return op.emitError() << "bias of channel " << f
                            << " overflows int32 after the unsigned shift";
    bq[f] = static_cast<int32_t>(nb);
  }
  auto module = op->getParentOfType<ModuleOp>();
  OpBuilder mb = OpBuilder::atBlockBegin(module.getBody());
  Location loc = op.getLoc();
  Type i8 = mb.getI8Type(), i32 = mb.getI32Type();
  // Bytes, 2-D: LLVM builds and prints int32 arrays and many small nested
  // arrays element by element (ResNet-18 compiled 2x slower).
  auto wg = kernelGlobal(mb, loc, "qc_dc_weights",
                         DenseElementsAttr::get(
                             RankedTensorType::get({FB, C4 * T * kMR * 4}, i8),
                             ArrayRef<int8_t>(wq)));
  auto bg = kernelGlobal(mb, loc, "qc_dc_bias", {FB * kMR}, bq);
  auto xTy = MemRefType::get({PH * PW * C4, Hh * Wh * 4}, i8);
  Type outElt = requant ? i8 : i32;
  auto oTy = MemRefType::get({FB * kMR, Lout}, outElt);
  // A declaration: --qc-vnni-kernels writes the body (buildDirectConvBody).
  auto fn = declareKernel(mb, loc, "qc_dc_conv", {xTy, oTy});
  fn->setAttr("qc.dc_weights", FlatSymbolRefAttr::get(wg.getSymNameAttr()));
  fn->setAttr("qc.dc_bias", FlatSymbolRefAttr::get(bg.getSymNameAttr()));
  fn->setAttr("qc.dc_taps", mb.getDenseI64ArrayAttr(taps));
  // Threads split this conv and its relayout by rows, unless the weights
  // are too large for each core to read them all (or the conv reads the
  // model's input, C4 1, which the loop before it shares out by channels).
  bool rows = C4 > 1 && FB * C4 * T * kMR * 4 <= kRowSplitMaxWeights;
  if (rows)
    fn->setAttr("qc.dc_rows", mb.getUnitAttr());
  if (requant) {
    auto rg = kernelGlobal(mb, loc, "qc_dc_requant", {2, FB * kMR},
                           requantParams(requant, FB * kMR));
    fn->setAttr("qc.dc_requant", FlatSymbolRefAttr::get(rg.getSymNameAttr()));
    fn->setAttr("qc.vnni_out",
                mb.getDenseI32ArrayAttr({requant.getOutputZp(), requant.getMin(),
                                         requant.getMax()}));
  }

  // X4, the input split into phases with 4 channels per pixel, shifted to
  // unsigned, in one pass that also pads: positions outside the input (pads,
  // channels past C, the phase grid's extra rows and columns) get the zero
  // point. (tensor.pad first cost two more passes and two more OpenMP
  // regions per conv: 2 threads ran ResNet-18 5% slower.) A kernel of its
  // own (buildRelayoutBody): as a linalg.generic it was scalar code, ~1.2
  // cycles a byte, 11% of a 1-thread ResNet-18 call.
  // The input as it is in memory, strides included: a producing conv's
  // padded rows are read in place, not first compacted by a copy.
  int64_t dyn = ShapedType::kDynamic;
  auto inMem = MemRefType::get(
      inTy.getShape(), i8, StridedLayoutAttr::get(mb.getContext(), dyn, {dyn, dyn, dyn, 1}));
  auto x4fn = declareKernel(mb, loc, "qc_dc_x4", {inMem, xTy});
  if (rows)
    x4fn->setAttr("qc.x4_rows", mb.getUnitAttr());
  x4fn->setAttr("qc.x4_geom",
                mb.getDenseI64ArrayAttr({C, H, W, sh, sw, pads[0], pads[1], PH, PW, C4,
                                         Hh, Wh, op.getInputZp().value_or(0)}));
  Value inb = bufferization::ToBufferOp::create(cb, loc, inMem, op.getInput(),
                                                /*read_only=*/true);
  Value xb = memref::AllocOp::create(cb, loc, xTy, cb.getI64IntegerAttr(64));
  func::CallOp::create(cb, loc, x4fn, ValueRange{inb, xb});
  Value o = memref::AllocOp::create(cb, loc, oTy, cb.getI64IntegerAttr(64));
  func::CallOp::create(cb, loc, fn, ValueRange{xb, o});
  Value r = bufferization::ToTensorOp::create(
      cb, loc, RankedTensorType::get(oTy.getShape(), outElt), o,
      /*restrict=*/true, /*writable=*/true);
  // [F][OH Wh] of the padded result -> [F][OH][Wh] -> [1][F][OH][OW].
  r = tensor::ExtractSliceOp::create(
      cb, loc, RankedTensorType::get({F, OH * Wh}, outElt), r,
      ValueRange{}, ValueRange{}, ValueRange{}, cb.getDenseI64ArrayAttr({0, 0}),
      cb.getDenseI64ArrayAttr({F, OH * Wh}), cb.getDenseI64ArrayAttr({1, 1}));
  r = tensor::ExpandShapeOp::create(
      cb, loc, RankedTensorType::get({F, OH, Wh}, outElt), r,
      SmallVector<ReassociationIndices>{{0}, {1, 2}});
  r = tensor::ExtractSliceOp::create(
      cb, loc, RankedTensorType::get({F, OH, OW}, outElt), r, ValueRange{},
      ValueRange{}, ValueRange{}, cb.getDenseI64ArrayAttr({0, 0, 0}),
      cb.getDenseI64ArrayAttr({F, OH, OW}), cb.getDenseI64ArrayAttr({1, 1, 1}));
  return tensor::ExpandShapeOp::create(
             cb, loc, outTy.clone(outElt), r,
             SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}})
      .getResult();
}

LogicalResult qc::buildDirectConvBody(func::FuncOp fn, bool parallel) {
  auto sym = [&](StringRef name) { return kernelGlobalOf(fn, name); };
  memref::GlobalOp wg = sym("qc.dc_weights"), bg = sym("qc.dc_bias"),
                   rg = sym("qc.dc_requant");
  auto taps = fn->getAttrOfType<DenseI64ArrayAttr>("qc.dc_taps");
  auto outp = fn->getAttrOfType<DenseI32ArrayAttr>("qc.vnni_out");
  auto args = fn.getFunctionType().getInputs();
  if (!wg || !bg || !taps || args.size() != 2 || wg.getType().getRank() != 2 ||
      taps.empty() || taps.size() % 2 ||
      wg.getType().getDimSize(1) % (taps.size() / 2 * kMR * 4) ||
      (rg && (!outp || outp.size() != 3)))
    return fn.emitError("malformed direct conv VNNI kernel declaration");
  auto oTy = cast<MemRefType>(args[1]);
  Location loc = fn.getLoc();
  Block *entry = fn.addEntryBlock();
  OpBuilder b = OpBuilder::atBlockBegin(entry);
  auto get = [&](memref::GlobalOp g) {
    return memref::GetGlobalOp::create(b, loc, g.getType(), g.getSymName())
        .getResult();
  };
  DirectConv k{b, loc, entry->getArgument(0), entry->getArgument(1), get(wg),
               get(bg), rg ? get(rg) : Value(), taps.asArrayRef(),
               wg.getType().getDimSize(1) / (taps.size() / 2 * kMR * 4)};
  if (rg) {
    k.zp = outp[0];
    k.lo = outp[1];
    k.hi = outp[2];
  }
  k.body(wg.getType().getDimSize(0), oTy.getDimSize(1) / (kNV * kLanes), parallel,
         fn->hasAttr("qc.dc_rows"));
  func::ReturnOp::create(b, loc);
  for (StringRef a : {"qc.dc_weights", "qc.dc_bias", "qc.dc_requant", "qc.dc_taps",
                      "qc.vnni_out", "qc.dc_rows"})
    fn->removeAttr(a);
  return success();
}

LogicalResult qc::buildRelayoutBody(func::FuncOp fn, bool parallel) {
  auto geom = fn->getAttrOfType<DenseI64ArrayAttr>("qc.x4_geom");
  auto args = fn.getFunctionType().getInputs();
  if (!geom || geom.size() != 13 || args.size() != 2)
    return fn.emitError("malformed direct conv relayout kernel declaration");
  // C, H, W, strides, top and left pads, phases, C4, phase grid, zero point.
  ArrayRef<int64_t> g = geom.asArrayRef();
  int64_t C = g[0], H = g[1], W = g[2], sh = g[3], sw = g[4], pt = g[5], pl = g[6];
  int64_t PH = g[7], PW = g[8], C4 = g[9], Hh = g[10], Wh = g[11], zp = g[12];
  Location loc = fn.getLoc();
  Block *entry = fn.addEntryBlock();
  OpBuilder b = OpBuilder::atBlockBegin(entry);
  Value in = entry->getArgument(0), x4 = entry->getArgument(1);
  Type i8 = b.getI8Type();
  auto idx = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v).getResult(); };
  auto v64 = VectorType::get({64}, i8);
  // Each of the 4 channel rows of an X4 row is first copied into a row of
  // `buf` bordered with the zero point: buf[j][pl + w] = x[4 c4 + j][h][w];
  // X4 pixel wh of column phase pw is then buf[j][wh sw + pw], 16 pixels at
  // once a plain load (sw > 1: sw 16 bytes, every sw-th kept).
  int64_t blocks = ceilDiv(Wh, kLanes);
  int64_t L = ceilDiv(std::max(blocks * kLanes * sw + sw, pl + W), 64) * 64;
  auto bufTy = MemRefType::get({4, L}, i8);
  Value zpv = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(v64, b.getI8IntegerAttr(static_cast<int8_t>(zp))));
  Value flip = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(VectorType::get({4 * kLanes}, i8), b.getI8IntegerAttr(-128)));
  SmallVector<int64_t> every;
  for (int64_t l = 0; l < kLanes; ++l)
    every.push_back(l * sw);
  auto loopN = [&](Value lo, Value hi, int64_t step, function_ref<void(Value)> f) {
    scf::ForOp::create(b, loc, lo, hi, idx(step), ValueRange{},
                       [&](OpBuilder &, Location, Value i, ValueRange) {
                         f(i);
                         scf::YieldOp::create(b, loc);
                       });
  };
  // X4 row r = ((ph PW + pw) C4 + c4) Hh + hh.
  auto row = [&](Value hh, Value t, Value buf) {
    Value c4 = arith::RemUIOp::create(b, loc, t, idx(C4));
    Value phase = arith::DivUIOp::create(b, loc, t, idx(C4));
    Value ph = arith::DivUIOp::create(b, loc, phase, idx(PW));
    Value pw = arith::RemUIOp::create(b, loc, phase, idx(PW));
    // h = hh sh + ph - pt, in [0, H)?
    Value hp = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, hh, idx(sh)), ph);
    Value hIn = arith::AndIOp::create(
        b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, hp, idx(pt)),
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, hp, idx(pt + H)));
    Value h = arith::SubIOp::create(b, loc, hp, idx(pt));
    for (int64_t j = 0; j < 4; ++j) {
      loopN(idx(0), idx(L), 64, [&](Value k) {
        vector::StoreOp::create(b, loc, zpv, buf, ValueRange{idx(j), k});
      });
      Value c = arith::AddIOp::create(b, loc, arith::MulIOp::create(b, loc, c4, idx(4)),
                                      idx(j));
      Value ok = arith::AndIOp::create(
          b, loc, hIn, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, c, idx(C)));
      scf::IfOp::create(b, loc, ok, [&](OpBuilder &, Location) {
        auto piece = [&](Value w, int64_t n) {
          Value v = loadLanes(b, loc, v64, in, ValueRange{idx(0), c, h, w}, n);
          storeLanes(b, loc, v, buf,
                     ValueRange{idx(j), arith::AddIOp::create(b, loc, w, idx(pl))}, n);
        };
        int64_t full = W / 64 * 64;
        if (full)
          loopN(idx(0), idx(full), 64, [&](Value w) { piece(w, 64); });
        if (full < W)
          piece(idx(full), W - full);
        scf::YieldOp::create(b, loc);
      });
    }
    Value out = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, phase, idx(C4)), c4);
    Value base = arith::MulIOp::create(b, loc, hh, idx(Wh * 4));
    auto block = [&](Value wh, int64_t n) {
      SmallVector<Value> vs;
      Value col = arith::AddIOp::create(b, loc, arith::MulIOp::create(b, loc, wh, idx(sw)), pw);
      for (int64_t j = 0; j < 4; ++j) {
        Value v = vector::LoadOp::create(b, loc, VectorType::get({kLanes * sw}, i8), buf,
                                         ValueRange{idx(j), col});
        if (sw > 1)
          v = vector::ShuffleOp::create(b, loc, v, v, every);
        vs.push_back(v);
      }
      Value v = arith::XOrIOp::create(b, loc, interleaveLanes(b, loc, vs), flip);
      storeLanes(b, loc, v, x4,
                 ValueRange{out, arith::AddIOp::create(
                                     b, loc, base, arith::MulIOp::create(b, loc, wh, idx(4)))},
                 4 * n);
    };
    int64_t full = Wh / kLanes * kLanes;
    if (full)
      loopN(idx(0), idx(full), kLanes, [&](Value wh) { block(wh, kLanes); });
    if (full < Wh)
      block(idx(full), Wh - full);
  };
  // Threads split the rows hh into blocks (the convs split their output by
  // rows too, so a thread mostly writes the X4 rows it reads next); within a
  // block, channel by channel, so the input is read in few streams.
  int64_t T = PH * PW * C4;
  if (parallel && fn->hasAttr("qc.x4_rows")) {
    int64_t HB = ceilDiv(Hh, kRowBlocks), NB = ceilDiv(Hh, HB);
    scf::ParallelOp::create(
        b, loc, ValueRange{idx(0), idx(0)}, ValueRange{idx(NB), idx(T)},
        ValueRange{idx(1), idx(1)}, [&](OpBuilder &, Location, ValueRange iv) {
          Value buf = scratchBuffer(b, loc, bufTy);
          Value h0 = arith::MulIOp::create(b, loc, iv[0], idx(HB));
          // Static bounds: qc-parallel-loops counts the work.
          loopN(idx(0), idx(HB), 1, [&](Value i) {
            Value hh = arith::AddIOp::create(b, loc, h0, i);
            scf::IfOp::create(
                b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, hh, idx(Hh)),
                [&](OpBuilder &, Location) {
                  row(hh, iv[1], buf);
                  scf::YieldOp::create(b, loc);
                });
          });
          freeScratch(b, loc, buf);
        });
  } else if (parallel) {
    scf::ParallelOp::create(
        b, loc, ValueRange{idx(0), idx(0)}, ValueRange{idx(T), idx(Hh)},
        ValueRange{idx(1), idx(1)}, [&](OpBuilder &, Location, ValueRange iv) {
          Value buf = scratchBuffer(b, loc, bufTy);
          row(iv[1], iv[0], buf);
          freeScratch(b, loc, buf);
        });
  } else {
    Value buf = scratchBuffer(b, loc, bufTy);
    loopN(idx(0), idx(T), 1, [&](Value t) {
      loopN(idx(0), idx(Hh), 1, [&](Value hh) { row(hh, t, buf); });
    });
    freeScratch(b, loc, buf);
  }
  func::ReturnOp::create(b, loc);
  fn->removeAttr("qc.x4_geom");
  fn->removeAttr("qc.x4_rows");
  return success();
}
