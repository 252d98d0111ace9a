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
//   X4[phase][c4][q][j] = X[phase][4 c4 + j][q] ^ 0x80   (one linalg.generic
//                                                        that also pads)
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
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace qc;

namespace {
constexpr int64_t kLanes = 16, kMR = 8, kNV = 2;

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

  /// Every tile; an scf.parallel over (channel block, pixel group) with
  /// `parallel` (qc-parallel-loops keeps the dims worth sharing out).
  void body(int64_t FB, int64_t groups, bool parallel) {
    int64_t step = kNV * kLanes;
    if (parallel) {
      scf::ParallelOp::create(b, loc, ValueRange{idx(0), idx(0)},
                              ValueRange{idx(FB), idx(groups * step)},
                              ValueRange{idx(1), idx(step)},
                              [&](OpBuilder &, Location, ValueRange iv) {
                                tile(iv[0], iv[1]);
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
  // regions per conv: 2 threads ran ResNet-18 5% slower.)
  Value in = op.getInput();
  auto bodyX4 = [&](OpBuilder &nb, Location nl, ValueRange) {
    auto cst = [&](int64_t v) { return arith::ConstantIndexOp::create(nb, nl, v).getResult(); };
    // (ph=0, pw=1, c4=2, hh=3, wh=4, j=5) -> c, h, w
    auto at = [&](unsigned d0, int64_t scale, unsigned d1, int64_t minus) -> Value {
      Value i = arith::MulIOp::create(nb, nl, linalg::IndexOp::create(nb, nl, d0), cst(scale));
      i = arith::AddIOp::create(nb, nl, i, linalg::IndexOp::create(nb, nl, d1));
      return arith::SubIOp::create(nb, nl, i, cst(minus));
    };
    Value c = at(2, 4, 5, 0), h = at(3, sh, 0, pads[0]), w = at(4, sw, 1, pads[1]);
    Value inside;
    SmallVector<Value> idx = {cst(0)};
    for (auto [v, n] : {std::pair{c, C}, {h, H}, {w, W}}) {
      Value ok = arith::AndIOp::create(
          nb, nl, arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sge, v, cst(0)),
          arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, v, cst(n)));
      inside = inside ? arith::AndIOp::create(nb, nl, inside, ok).getResult() : ok;
      idx.push_back(arith::MaxSIOp::create(
          nb, nl, arith::MinSIOp::create(nb, nl, v, cst(n - 1)), cst(0)));
    }
    Value x = arith::SelectOp::create(
        nb, nl, inside, tensor::ExtractOp::create(nb, nl, in, idx),
        arith::ConstantIntOp::create(nb, nl, nb.getI8Type(), op.getInputZp().value_or(0)));
    yieldUnsigned(nb, nl, x);
  };
  SmallVector<int64_t> x6 = {PH, PW, C4, Hh, Wh, 4};
  Value x4 = linalg::GenericOp::create(
                 cb, loc, TypeRange{RankedTensorType::get(x6, i8)}, ValueRange{},
                 ValueRange{tensor::EmptyOp::create(cb, loc, x6, i8)},
                 SmallVector<AffineMap>{cb.getMultiDimIdentityMap(6)},
                 SmallVector<utils::IteratorType>(6, utils::IteratorType::parallel),
                 "", "", bodyX4)
                 .getResult(0);
  x4 = tensor::CollapseShapeOp::create(
      cb, loc, RankedTensorType::get(xTy.getShape(), i8), x4,
      SmallVector<ReassociationIndices>{{0, 1, 2}, {3, 4, 5}});
  Value xb = bufferization::ToBufferOp::create(cb, loc, xTy, x4, /*read_only=*/true);
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
  k.body(wg.getType().getDimSize(0), oTy.getDimSize(1) / (kNV * kLanes), parallel);
  func::ReturnOp::create(b, loc);
  for (StringRef a : {"qc.dc_weights", "qc.dc_bias", "qc.dc_requant", "qc.dc_taps",
                      "qc.vnni_out"})
    fn->removeAttr(a);
  return success();
}
